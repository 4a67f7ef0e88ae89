"""Streams one chat completion with the official `openai` Python SDK and reports how many
content events arrived and how long it took: `python openai_python.py <base_url>`."""
import json
import sys
import time

from openai import OpenAI

client = OpenAI(base_url=sys.argv[1], api_key="hf_benchmark_placeholder", max_retries=0)
started = time.perf_counter()
stream = client.chat.completions.create(
    model="bench/model",
    messages=[{"role": "user", "content": "go"}],
    stream=True,
)
events = 0
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        events += 1
print(json.dumps({"events": events, "ms": (time.perf_counter() - started) * 1000}))
