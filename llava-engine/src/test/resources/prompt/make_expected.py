"""Renders the test templates with transformers' own chat-template code (transformers 5.18.0, jinja2 3.1.6) into
templates_expected.json: {template file: {"conversation": messages, "expected": rendered string}}."""
import json

from transformers.utils.chat_template_utils import render_jinja_template

conversation = [
    {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "  What is this?  "}]},
    {"role": "assistant", "content": [{"type": "text", "text": " A cat. "}, {"type": "text", "text": "ignored"}]},
    {"role": "user", "content": [{"type": "text", "text": "And {{ 7*7 }} {% raw %}?"}]},
]
single = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "what is shown here"}]}]
out = {}
for name, messages in [("llava15_hf.jinja", conversation), ("mistral_style.jinja", conversation),
                       ("block_whitespace.jinja", single)]:
    with open(name) as f:
        rendered, _ = render_jinja_template(conversations=[messages], chat_template=f.read(), add_generation_prompt=True,
                                            bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>")
    out[name] = {"conversation": messages, "expected": rendered[0]}
with open("templates_expected.json", "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
