"""Every roster problem message, in Chinese (default) and English (`--lang en`).

Problems carry a key and parameters; the report renders them in the language asked for.
"""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, tuple[str, str]] = {
    # cells
    "required": ("必填项为空", "required cell is empty"),
    "not_int": ("应为整数", "must be a whole number"),
    "not_bool": ("应为 是/否", "must be 是/否 (yes/no)"),
    "bad_date": ("不是可识别的日期，应为 2023-05-01、2023/5/1、2023.5.1 或 2023年5月1日",
                 "not a date; use 2023-05-01, 2023/5/1, 2023.5.1 or 2023年5月1日"),
    "no_such_date": ("日期不存在", "no such date"),
    "control_chars": ("含有不可见的控制字符（如 NUL），请清理后重新导出",
                      "contains control characters (such as NUL); clean it and export again"),
    "code_space": ("编码不能含空格", "a code cannot contain spaces"),
    "bad_enum": ("未知的{what}，应为 {allowed}", "unknown {what_en}; expected {allowed}"),
    "bad_id": ("身份证号格式或校验位不正确",
               "ID-card number is malformed or its check digit is wrong"),
    "bad_phone": ("手机号应为 1 开头的 11 位数字",
                  "mobile number must be 11 digits starting with 1"),
    "bad_uscc": ("统一社会信用代码校验位不正确",
                 "unified social credit code has a wrong check character"),
    "parent_required": ("街道和社区必须填写上级编码",
                        "streets and communities need a parent code"),
    "compound_required": ("业主委员会和自管委员会必须填写服务小区编码",
                          "owners' and self-management committees need the compound they serve"),
    "org_required": ("党员必须填写所在党组织编码",
                     "party members need their party organization"),
    "invalid": ("格式不正确（{detail}）", "invalid value ({detail})"),
    "int_range": ("应为 {min} 到 {max} 之间的整数", "must be a whole number from {min} to {max}"),
    # files
    "file_missing": ("文件不存在", "file does not exist"),
    "bad_file_type": ("不支持的文件类型，应为 .csv 或 .xlsx",
                      "unsupported file type; use .csv or .xlsx"),
    "bad_file_name": ("无法识别的名册文件名，应为 {names}（或对应英文名）.csv",
                      "file name matches no roster template; use {names_en}.csv"),
    "workbook_unreadable": ("无法打开工作簿: {detail}",
                            "cannot open the workbook: {detail}"),
    "unknown_sheet": ("未知的工作表，已忽略（应为 {names}）",
                      "unknown sheet, ignored (expected {names_en})"),
    "no_sheets": ("工作簿中没有名册工作表，应为 {names}",
                  "the workbook has no roster sheet ({names_en})"),
    "empty_file": ("文件为空，缺少表头", "the file is empty: no header row"),
    "bad_encoding": ("无法识别文件编码，应为 UTF-8 或 GBK/GB18030",
                     "cannot decode the file; save it as UTF-8 or GBK/GB18030"),
    "header_unrecognized": ("表头无法识别：不是“{template}”模板{hint}",
                            "header not recognized: not the {template_en} template{hint_en}"),
    "unknown_column": ("未知的列，已忽略", "unknown column, ignored"),
    "missing_columns": ("缺少必填列: {columns}", "required columns missing: {columns}"),
    # limits (README "Rosters": what one load may hold)
    "too_many_rows": ("行数超过上限 {limit}（设置 ORGCOVER_MAX_ROWS_PER_FILE），其后的行未读取",
                      "more than {limit} rows (setting ORGCOVER_MAX_ROWS_PER_FILE); the rest "
                      "of the file was not read"),
    "too_many_columns": ("表头超过 {limit} 列，文件未读取",
                         "the header has more than {limit} columns; the file was not read"),
    "field_too_long": ("单元格超过 {limit} 个字符，其后的行未读取",
                       "a cell is longer than {limit} characters; the rest of the file was "
                       "not read"),
    "line_too_long": ("一行超过 {limit} 个字符，其后的行未读取",
                      "a line is longer than {limit} characters; the rest of the file was not "
                      "read"),
    "csv_malformed": ("CSV 格式错误（{detail}），其后的行未读取",
                      "malformed CSV ({detail}); the rest of the file was not read"),
    "xlsx_part_too_large": ("工作簿的{what}解压后有 {size} 字节，超过上限 {limit} 字节（设置 "
                            "{setting}），工作簿未读取",
                            "the workbook's {what_en} expands to {size} bytes, over the limit "
                            "of {limit} (setting {setting}); the workbook was not read"),
    "xlsx_ratio": ("工作簿的{what}压缩比为 {ratio} 倍，超过上限 {limit} 倍，疑似压缩炸弹（设置 "
                   "ORGCOVER_MAX_XLSX_RATIO），工作簿未读取",
                   "the workbook's {what_en} is compressed {ratio} times, over the limit of "
                   "{limit} (a zip bomb?; setting ORGCOVER_MAX_XLSX_RATIO); the workbook was "
                   "not read"),
    "xlsx_size_mismatch": ("工作簿的{what}解压后超过其声明的 {size} 字节：文件已损坏或被篡改，"
                           "工作簿未读取",
                           "the workbook's {what_en} expands beyond the {size} bytes it "
                           "declares: damaged or forged; the workbook was not read"),
    "xlsx_too_many_parts": ("工作簿有 {count} 个部件，超过上限 {limit}，工作簿未读取",
                            "the workbook has {count} parts, over the limit of {limit}; the "
                            "workbook was not read"),
    # references
    "ref_missing": ("找不到{wanted}编码 {code}（本次名册和图库中都没有）",
                    "no {wanted_en} with code {code} in this load or the graph"),
    "ref_wrong_kind": ("编码 {code} 是{have}，应为{wanted}",
                       "code {code} is a {have_en}, not a {wanted_en}"),
    "duplicate": ("编码重复，与 {file} 第 {line} 行相同",
                  "duplicate code, also in {file} row {line}"),
    "role_target": ("职务“{role}”只能任职于{wanted}，{code} 是{have}",
                    "role {role} can only be held on a {wanted_en}; {code} is a {have_en}"),
    "cycle": ("上级党组织形成循环: {path}",
              "parent party organizations form a cycle: {path}"),
    "ref_removed": ("编码 {code} 在替换范围内且本次名册未列出，将被删除，不能再引用",
                    "code {code} lies in the replace scope and is not in these rosters: "
                    "it would be removed, so it cannot be referred to"),
    "replace_scope_unknown": ("替换范围 {code} 不是已知的地点编码",
                              "replace scope {code} is not a known place code"),
    # loads bound to a jurisdiction (loaders/jurisdiction.py)
    "outside_jurisdiction": ("超出管辖范围（{code} 不在 {jurisdiction} 内）",
                             "outside your jurisdiction ({code} is not inside {jurisdiction})"),
}

KIND_ZH = {
    "district": "区县", "street": "街道", "community": "社区", "grid": "网格",
    "compound": "小区", "building": "楼栋", "party_org": "党组织", "organization": "单位",
    "person": "人员",
}

KIND_EN = {
    "district": "district", "street": "street", "community": "community", "grid": "grid",
    "compound": "compound", "building": "building", "party_org": "party organization",
    "organization": "organization", "person": "person",
}

WHAT_EN = {
    "层级": "level", "网格类型": "grid kind", "楼栋类型": "building kind", "单位类型": "unit kind",
    "组织类型": "party organization kind", "组织类别": "party organization category",
    "性别": "gender", "政治面貌": "political status", "党员类型": "member kind",
    "职务": "role", "关系类型": "relationship type",
}


def render(key: str, params: dict[str, Any], lang: str = "zh") -> str:
    zh, en = MESSAGES[key]
    template = en if lang == "en" else zh
    try:
        return template.format(**params)
    except KeyError:  # an English-only parameter missing: fall back to Chinese
        return zh.format(**params)


class CellError(ValueError):
    """A cell or row rule failed; `key` names the message, `column` the column if not the
    field itself (row-level rules)."""

    def __init__(self, key: str, *, column: str | None = None, **params: Any) -> None:
        super().__init__(render(key, params))
        self.key = key
        self.column = column
        self.params = params


def kinds(name: str, bits: int, sep_zh: str, sep_en: str) -> dict[str, str]:
    """Message parameters naming the kinds of code in `bits` (`name` and `name_en`)."""
    from loaders.codes import kinds_of

    ordered = sorted(kinds_of(bits))
    return {name: sep_zh.join(KIND_ZH[k] for k in ordered),
            f"{name}_en": sep_en.join(KIND_EN[k] for k in ordered)}
