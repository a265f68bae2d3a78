export const LANGS = ["en", "fr"] as const;
export type Lang = (typeof LANGS)[number];

/** The other language of the two: the language switch links there. */
export function otherLang(lang: Lang): Lang {
  return lang === "en" ? "fr" : "en";
}

export interface UiStrings {
  languageName: string;
  siteTitle: string;
  contents: string;
  onThisPage: string;
  previous: string;
  next: string;
  follows: string;
  courseUrl: string;
  courseTitle: string;
  note: string;
  tip: string;
  warning: string;
  apiCourse: string;
  apiKit: string;
  apiRemark: string;
  codeFrom: string;
  lines: string;
  switchTo: string;
}

export const UI: Record<Lang, UiStrings> = {
  en: {
    languageName: "English",
    siteTitle: "full-training-kit",
    contents: "Contents",
    onThisPage: "On this page",
    previous: "Previous",
    next: "Next",
    follows: "This page follows the course section",
    courseUrl: "https://huggingface.co/learn/llm-course/chapter3/4",
    courseTitle: "A full training (LLM course, chapter 3)",
    note: "Note",
    tip: "Tip",
    warning: "Warning",
    apiCourse: "Course (Python)",
    apiKit: "Kit (TypeScript)",
    apiRemark: "What differs",
    codeFrom: "from",
    lines: "lines",
    switchTo: "Lire en français",
  },
  fr: {
    languageName: "Français",
    siteTitle: "full-training-kit",
    contents: "Sommaire",
    onThisPage: "Sur cette page",
    previous: "Précédent",
    next: "Suivant",
    follows: "Cette page suit la section du cours",
    courseUrl: "https://huggingface.co/learn/llm-course/fr/chapter3/4",
    courseTitle: "Un entraînement complet (cours LLM, chapitre 3)",
    note: "Remarque",
    tip: "Astuce",
    warning: "Attention",
    apiCourse: "Cours (Python)",
    apiKit: "Kit (TypeScript)",
    apiRemark: "Ce qui change",
    codeFrom: "extrait de",
    lines: "lignes",
    switchTo: "Read in English",
  },
};
