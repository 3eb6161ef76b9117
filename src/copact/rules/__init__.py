"""The linter: one small module per rule family, a registry of codes and a runner."""
