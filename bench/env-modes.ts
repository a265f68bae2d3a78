// The two OpenBLAS environment modes the bench times both sides in: the environment as set, and with
// OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset together (those variables exist because old OpenBLAS builds
// miscompute on some CPUs; unset, OpenBLAS picks the kernel the CPU supports, e.g. AVX-512 over Haswell).
export const ENV_MODES = ["as-set", "unset"] as const;
export type EnvMode = (typeof ENV_MODES)[number];

/** The variables that the "unset" mode removes, together. */
export const OPENBLAS_OVERRIDES = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"] as const;

export function isEnvMode(s: string): s is EnvMode {
  return (ENV_MODES as readonly string[]).includes(s);
}

/** The OPENBLAS_* overrides this process was given (empty when the machine sets none). */
export function overridesSet(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of OPENBLAS_OVERRIDES) if (env[k] !== undefined) out[k] = env[k]!;
  return out;
}

/** The environment of a child timed in `mode`, from `base` (extra variables applied last). */
export function envFor(mode: EnvMode, extra: Record<string, string> = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...extra };
  if (mode === "unset") for (const k of OPENBLAS_OVERRIDES) delete env[k];
  return env;
}

/**
 * The modes to time: the requested ones, except that "unset" is the same mode as "as-set" when neither
 * variable is set here; then only "as-set" runs and `note` says so (rather than timing one mode twice).
 */
export function effectiveModes(requested: readonly EnvMode[], env: NodeJS.ProcessEnv = process.env): { modes: EnvMode[]; note: string | null } {
  if (Object.keys(overridesSet(env)).length > 0 || !requested.includes("unset")) return { modes: [...requested], note: null };
  return {
    modes: requested.includes("as-set") || requested.length === 1 ? ["as-set"] : [...requested],
    note: `this machine sets neither ${OPENBLAS_OVERRIDES.join(" nor ")}: "as set" and "unset" are the same mode here, timed once`,
  };
}

/** The label of a measurement taken in `mode` (as-set rows keep their plain names). */
export function modeSuffix(mode: EnvMode): string {
  return mode === "as-set" ? "" : " [unset]";
}
