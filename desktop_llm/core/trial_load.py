"""Child-process entry point: load a model once, render its chat template
once, and exit 0 on success (TEMPLATE_FAILED when only the template fails)."""

import sys

TEMPLATE_FAILED = 3
SAMPLE: list = [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": "Hello"},
          {"role": "assistant", "content": "Hi."}, {"role": "user", "content": "How are you?"}]


def main(argv: list[str]) -> int:
    from llama_cpp import Llama
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    llm = Llama(model_path=argv[0], n_ctx=256, n_batch=32, verbose=False)
    template = llm.metadata.get("tokenizer.chat_template")
    if template:
        try:
            Jinja2ChatFormatter(template=template, eos_token="", bos_token="")(messages=SAMPLE)
        except Exception as exc:  # any error of the template's own code
            print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
            return TEMPLATE_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
