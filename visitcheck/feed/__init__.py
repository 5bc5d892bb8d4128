"""The ordered change feed devices pull: one ordered feed per team.

Below every capability: it imports none of them, and they all record their
changes through `feed.service`.
"""
