"""Errors of lists."""

from __future__ import annotations

from xinyong.errors import FieldProblem, Forbidden, NotFound, Unauthorized


class UnknownList(NotFound):
    def __init__(self, list_id: str) -> None:
        super().__init__("lists.unknown_list", f"未知的名单：{list_id[:40]}", field_name="list_id")


class ListLoginRequired(Unauthorized):
    def __init__(self) -> None:
        super().__init__("lists.login_required", "该名单不公开，请以政府部门账号登录后查看")


class ListNotPublic(Forbidden):
    def __init__(self) -> None:
        super().__init__("lists.not_public", "该名单不公开，仅政府部门可查看")


class ListAdminOnly(Forbidden):
    def __init__(self) -> None:
        super().__init__("lists.admin_only", "只有信用办管理员可以管理名单条目和冲突")


class InvalidPeriod(FieldProblem):
    def __init__(self) -> None:
        super().__init__("lists.invalid_period", "ends_on", "移出日期不能早于列入日期")


class EntryNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("lists.entry_not_found", "名单条目不存在或已撤销", field_name="entry_id")


class ConflictNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "lists.conflict_not_found", "名单冲突不存在或已处理", field_name="conflict_id"
        )
