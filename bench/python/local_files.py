"""Where the kit's local files are, for the Python side: the same parquet files and checkpoint the kit reads.

The GLUE parquet files are looked for in each directory of KIT_HUB_MIRROR (a path list, as the kit reads
it; default ../shared/hub beside the package root), the checkpoint through the Hugging Face cache
(HF_HUB_OFFLINE=1), as src/hub resolves them.
"""
import os

CHECKPOINT = "sentence-transformers/all-MiniLM-L6-v2"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def mirrors():
    env = os.environ.get("KIT_HUB_MIRROR")
    if env:
        return [p for p in env.split(os.pathsep) if p]
    return [os.path.join(ROOT, "..", "shared", "hub")]


def glue_data_files(task, splits=("train", "validation", "test")):
    """{split: parquet path} of GLUE `task`; an error names the places looked in and the fix."""
    found = {}
    for split in splits:
        name = f"datasets/nyu-mll/glue/{task}/{split}-00000-of-00001.parquet"
        tried = [os.path.normpath(os.path.join(m, name)) for m in mirrors()]
        hit = next((p for p in tried if os.path.isfile(p)), None)
        if hit is None:
            raise SystemExit(f"GLUE {task}/{split} not found; looked in: {', '.join(tried)}. "
                             "Set KIT_HUB_MIRROR to a folder holding datasets/nyu-mll/glue/ (as ../shared/hub does).")
        found[split] = hit
    return found
