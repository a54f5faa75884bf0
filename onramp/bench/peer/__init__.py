"""The peer benchmark: the embedded stack against MiniStack, same template, same load."""
