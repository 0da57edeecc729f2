"""Small builders for export and Compliance API records used by the source tests."""

from __future__ import annotations

from typing import Any


def export_message(
    message_id: str, role: str, content: dict[str, Any], hidden: bool = False
) -> dict[str, Any]:
    return {
        "id": message_id,
        "author": {"role": role, "name": "python" if role == "tool" else None, "metadata": {}},
        "create_time": 1764057600.0,
        "content": content,
        "metadata": {"is_visually_hidden_from_conversation": True} if hidden else {},
    }


def export_conversation(
    conversation_id: str, nodes: dict[str, tuple[str | None, dict[str, Any] | None]],
    title: str | None = "A title",
) -> dict[str, Any]:
    """``nodes``: node id -> (parent id, message or None)."""
    mapping = {}
    for node_id, (parent, message) in nodes.items():
        children = [n for n, (p, _) in nodes.items() if p == node_id]
        mapping[node_id] = {"id": node_id, "parent": parent, "children": children, "message": message}
    return {
        "id": conversation_id,
        "title": title,
        "create_time": 1764057600.0,
        "update_time": 1764057700.0,
        "current_node": list(nodes)[-1],
        "mapping": mapping,
    }


def api_message(message_id: str, role: str, value: Any, content_type: str = "text") -> dict[str, Any]:
    return {
        "object": "compliance.workspace.conversation.message",
        "id": message_id,
        "parent_id": None,
        "created_at": 1764230401,
        "author": {"role": role, "tool_name": None},
        "content": {"type": content_type, "value": value},
        "gpt_id": None,
        "project_id": None,
        "files": {"object": "list", "data": [], "has_more": False, "last_id": None},
    }


def api_conversation(
    conversation_id: str, messages: list[dict[str, Any]], title: str | None = None
) -> dict[str, Any]:
    return {
        "object": "compliance.workspace.conversation",
        "id": conversation_id,
        "workspace_id": "ws-test",
        "user_id": "user-test",
        "user_email": "someone@contoso.com",
        "created_at": 1764230400.5,
        "last_active_at": 1764234000,
        "title": title,
        "messages": {"object": "list", "data": messages, "has_more": False, "last_id": None},
    }


def minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text is ``lines`` (Helvetica), with a correct xref table."""
    stream = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out
