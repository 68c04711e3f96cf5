"""A local stand-in for an OpenAI-compatible LLM server, run as its own process.

``python -m standins.llm --port 8766`` speaks the Chat Completions protocol (streamed and
not, tool calls, structured output, bearer auth) well enough for the real ``openai`` SDK, so
``chat.agent.llm`` is tested over real HTTP exactly as it talks to OpenAI, Ollama, vLLM or a
llama.cpp server. What it answers comes from a *brain* (``module:function``) or from replies
and faults that tests queue under ``/_standin/``. Starlette over uvicorn (``standins.web``),
and no Django of its own.
"""
