"""Prompt text, kept apart from the code that sends it so wording is reviewed and tuned in one place."""
