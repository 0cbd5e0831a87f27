"""Masking of personal data for people who may not see it."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str:
    """Keep the first 3 and last 4 digits.

    Examples
    --------
    >>> mask_phone("13812345678")
    '138****5678'
    >>> mask_phone("+86 138-1234-5678")
    '138****5678'
    >>> mask_phone(None)
    ''
    """
    if not phone:
        return ""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_name(name: str | None) -> str:
    """Keep the first character (the surname) of a person's name; organisations keep the first two.

    Examples
    --------
    >>> mask_name("王小明")
    '王**'
    >>> mask_name("李娜")
    '李*'
    >>> mask_name("惠州市鑫达实业有限公司")
    '惠州*********'
    """
    if not name:
        return ""
    keep = 2 if len(name) > 4 else 1
    return name[:keep] + "*" * (len(name) - keep)
