"""Errors of sync."""

from __future__ import annotations

from pathlib import Path

from xinyong.errors import DefinitionFileError, FieldError, Forbidden, NotFound, XinyongError


class PlatformsError(DefinitionFileError):
    """The platform definitions cannot be used: the deployment must fix them before starting."""

    def __init__(self, path: Path, errors: list[FieldError]) -> None:
        super().__init__("sync.invalid_platforms", f"信用平台定义文件有误：{path.name}", errors)


class ReadDenied(Forbidden):
    def __init__(self) -> None:
        super().__init__("sync.read_denied", "查看同步任务仅限信用办管理员和政府部门账号")


class AdminOnly(Forbidden):
    def __init__(self) -> None:
        super().__init__("sync.admin_only", "重新推送仅限信用办管理员")


class DeliveryNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("sync.delivery_not_found", "同步任务不存在", field_name="delivery_id")


class AlreadyAcknowledged(XinyongError):
    def __init__(self) -> None:
        super().__init__(
            code="sync.already_acknowledged",
            title="该同步任务已被平台确认，不会重复推送",
            status=409,
        )


class NowSending(XinyongError):
    def __init__(self) -> None:
        super().__init__(
            code="sync.sending",
            title="该同步任务正在发送中，请稍后刷新",
            status=409,
        )
