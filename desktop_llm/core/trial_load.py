"""Child-process entry point: load a model once and exit 0 on success."""

import sys


def main(argv: list[str]) -> int:
    from llama_cpp import Llama

    Llama(model_path=argv[0], n_ctx=256, n_batch=32, verbose=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
