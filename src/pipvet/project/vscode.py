"""``.vscode/tasks.json``: add or update pipvet's folder-open task, and inspect the file (pure).

Merging works on the text: pipvet's task is inserted into (or replaced within) the ``tasks``
array and every other byte, comments and other tasks included, stays as the user wrote it.
The result is parsed again and must hold exactly the old tasks plus pipvet's.

``inspect_tasks`` is what ``pipvet doctor`` uses: is pipvet's task there and unchanged, what
it runs, and which other tasks run on folder open (a persistence mechanism worth knowing about).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pipvet.frozen import frozen
from pipvet.project.jsonc import JsoncError, Node, parse_jsonc
from pipvet.project.templates import TASK_LABEL, recorded_fingerprint, task_fingerprint

__all__ = ["MergeResult", "TaskState", "TasksInspection", "inspect_tasks", "merge_task"]

TaskState = Literal["missing", "ok", "modified", "foreign"]


@frozen
class TasksInspection:
    """``pipvet``: "missing"; "ok" (pipvet's task, unchanged since pipvet wrote it);
    "modified" (pipvet's fingerprint no longer matches the task); "foreign" (a task uses
    pipvet's label but was not written by pipvet). ``folder_open``: labels of the other tasks
    that run automatically when the folder opens. ``error``: the file could not be read.
    """

    pipvet: TaskState
    folder_open: tuple[str, ...] = ()
    error: str | None = None
    # pipvet's task as it would run: command then args, as written (``${workspaceFolder}``
    # unexpanded); empty when there is no such task or it is not well formed.
    argv: tuple[str, ...] = ()


@frozen
class MergeResult:
    """``text`` is the new file (None: leave the file alone, ``reason`` says why)."""

    text: str | None
    action: Literal["create", "add", "update", "unchanged", "skip"]
    reason: str


def _is_pipvet(task: Any) -> bool:
    if not isinstance(task, dict):
        return False
    detail = task.get("detail")
    managed = isinstance(detail, str) and recorded_fingerprint(detail) is not None
    return managed or task.get("label") == TASK_LABEL


def _state(task: dict[str, Any]) -> TaskState:
    detail = task.get("detail")
    recorded = recorded_fingerprint(detail) if isinstance(detail, str) else None
    if recorded is None:
        return "foreign"
    return "ok" if recorded == task_fingerprint(task) else "modified"


def _tasks_node(root: Node) -> Node | None:
    return root.member("tasks")


def inspect_tasks(text: str) -> TasksInspection:
    try:
        root = parse_jsonc(text)
    except JsoncError as exc:
        return TasksInspection("missing", error=f"not valid JSON with comments: {exc}")
    tasks = root.value.get("tasks") if isinstance(root.value, dict) else None
    if not isinstance(tasks, list):
        return TasksInspection("missing")
    ours = next((t for t in tasks if _is_pipvet(t)), None)
    state: TaskState = "missing" if ours is None else _state(ours)
    others = [
        str(t.get("label", "(no label)"))
        for t in tasks
        if isinstance(t, dict)
        and not (t is ours and state == "ok")
        and isinstance(t.get("runOptions"), dict)
        and t["runOptions"].get("runOn") == "folderOpen"
    ]
    return TasksInspection(state, tuple(others), argv=_argv(ours))


def _argv(task: Any) -> tuple[str, ...]:
    if not isinstance(task, dict):
        return ()
    command, args = task.get("command"), task.get("args", [])
    if not isinstance(command, str) or not isinstance(args, list):
        return ()
    if not all(isinstance(a, str) for a in args):
        return ()
    return (command, *args)


# ---------------------------------------------------------------------- merging


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _line_indent(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    line = text[start:offset]
    return line[: len(line) - len(line.lstrip(" \t"))]


def _render(value: Any, indent: str, unit: str, newline: str) -> str:
    dumped = json.dumps(value, indent=unit if unit else 4, ensure_ascii=False)
    return dumped.replace("\n", newline + indent)


def new_tasks_file(task: dict[str, Any]) -> str:
    return json.dumps({"version": "2.0.0", "tasks": [task]}, indent=4, ensure_ascii=False) + "\n"


def merge_task(text: str | None, task: dict[str, Any], *, force: bool = False) -> MergeResult:
    """Put ``task`` into the tasks file ``text`` (None: no file yet). Never drops a task."""
    if text is None:
        return MergeResult(new_tasks_file(task), "create", "folder-open task runs pipvet update")
    try:
        root = parse_jsonc(text)
    except JsoncError as exc:
        return MergeResult(
            None,
            "skip",
            f"it is not valid JSON with comments ({exc}); pipvet will not rewrite a file it "
            "cannot read: fix it, or add the task by hand",
        )
    if not isinstance(root.value, dict):
        return MergeResult(None, "skip", "its top level is not an object")
    newline = _newline(text)
    tasks = _tasks_node(root)
    if tasks is None:
        new = _insert_member(text, root, "tasks", [task], newline)
        return _verified(text, new, task, "add", "pipvet's task added")
    if not isinstance(tasks.value, list):
        return MergeResult(None, "skip", '"tasks" is not a list')
    index = next((i for i, t in enumerate(tasks.value) if _is_pipvet(t)), None)
    if index is None:
        new = _append_item(text, tasks, task, newline)
        return _verified(text, new, task, "add", "pipvet's task added beside the others")
    current = tasks.value[index]
    if current == task:
        return MergeResult(None, "unchanged", "pipvet's task is already there")
    state = _state(current)
    if state != "ok" and not force:
        why = (
            "pipvet's task was changed since pipvet wrote it"
            if state == "modified"
            else f'a task labelled "{TASK_LABEL}" exists that pipvet did not write'
        )
        return MergeResult(None, "skip", f"{why}; --force replaces it")
    node = tasks.items[index]
    indent = _line_indent(text, node.start)
    unit = _unit(text, tasks, node)
    new = text[: node.start] + _render(task, indent, unit, newline) + text[node.end :]
    return _verified(text, new, task, "update", "pipvet's task updated")


def _unit(text: str, array: Node, element: Node) -> str:
    outer = _line_indent(text, array.start)
    inner = _line_indent(text, element.start)
    if "\t" in inner:
        return "\t"
    return " " * max(len(inner) - len(outer), 2) if inner else "    "


def _append_item(text: str, array: Node, task: dict[str, Any], newline: str) -> str:
    if array.items:
        last = array.items[-1]
        indent = _line_indent(text, last.start)
        unit = _unit(text, array, last)
        rendered = _render(task, indent, unit, newline)
        return text[: last.end] + "," + newline + indent + rendered + text[last.end :]
    outer = _line_indent(text, array.start)
    indent = outer + "    "
    rendered = _render(task, indent, "    ", newline)
    close = array.end - 1
    return text[: array.start + 1] + newline + indent + rendered + newline + outer + text[close:]


def _insert_member(text: str, root: Node, key: str, value: Any, newline: str) -> str:
    if root.members:
        last = root.members[-1][1]
        indent = _line_indent(text, _key_start(text, last.start))
        rendered = _render(value, indent, "    ", newline)
        return (
            text[: last.end]
            + ","
            + newline
            + indent
            + json.dumps(key)
            + ": "
            + rendered
            + (text[last.end :])
        )
    indent = "    "
    rendered = _render(value, indent, "    ", newline)
    close = root.end - 1
    return (
        text[: root.start + 1]
        + newline
        + indent
        + json.dumps(key)
        + ": "
        + rendered
        + newline
        + text[close:]
    )


def _key_start(text: str, value_start: int) -> int:
    """Offset of the key that precedes a member's value (for its indentation)."""
    colon = text.rfind(":", 0, value_start)
    return text.rfind('"', 0, text.rfind('"', 0, colon))


def _verified(
    old: str, new: str, task: dict[str, Any], action: Literal["add", "update"], reason: str
) -> MergeResult:
    """Fail closed: the new text must parse and hold the old tasks plus exactly ours."""
    before = parse_jsonc(old).value.get("tasks", [])
    try:
        after = parse_jsonc(new).value.get("tasks", [])
    except JsoncError:
        after = None
    expected = [t for t in before if not _is_pipvet(t)]
    if not isinstance(after, list) or [t for t in after if not _is_pipvet(t)] != expected:
        return MergeResult(None, "skip", "pipvet could not merge its task safely; add it by hand")
    if [t for t in after if _is_pipvet(t)] != [task]:
        return MergeResult(None, "skip", "pipvet could not merge its task safely; add it by hand")
    return MergeResult(new, action, reason)
