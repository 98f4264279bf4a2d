"""The resolved config as ``synthgen validate`` prints it."""

from __future__ import annotations

import re
from collections.abc import Sequence

import yaml

from synthgen.config.schema import RunConfig


def resolved_yaml(config: RunConfig, overrides: Sequence[str] = ()) -> str:
    """The resolved config as YAML, as ``synthgen validate`` prints it: long values on one line,
    the keys set by ``overrides`` (``key=value`` items) marked ``# overridden``."""
    text = yaml.safe_dump(config.resolved, sort_keys=False, allow_unicode=True, width=1 << 30, default_flow_style=False)
    marked = {item.split("=", 1)[0].strip() for item in overrides if "=" in item}
    if not marked:
        return text
    lines, stack = [], []  # stack: (indent, key) of the mappings above the current line
    for line in text.splitlines():
        m = re.match(r"^( *)([^\s:#'\"-][^:]*?|'[^']*'):(?: |$)", line)
        if m is not None:
            indent = len(m.group(1))
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, m.group(2).strip("'")))
            if ".".join(k for _, k in stack) in marked:
                line += "  # overridden"
        lines.append(line)
    return "\n".join(lines) + "\n"
