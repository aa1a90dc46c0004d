"""The bot tests' fixtures (knowledge folder, index, conversation) for the real-world tests."""

from tests.bot.conftest import config, conv, knowledge, querylog  # noqa: F401
