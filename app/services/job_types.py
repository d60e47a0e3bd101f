"""Job types (工种): the trade codes of the national construction worker management
platform (全国建筑工人管理服务信息平台, 工种字典), code → name.

Employment stores the code; pages show the name. Managers (管理人员) take code 900;
every other code belongs to a construction worker (建筑工人). Names are proper names
of trades, shown as they are in both languages.
"""

MANAGER_CODE = "900"

JOB_TYPES: dict[str, str] = {
    "010": "砌筑工",
    "020": "钢筋工",
    "030": "架子工",
    "040": "混凝土工",
    "050": "模板工",
    "060": "机械设备安装工",
    "070": "通风工",
    "080": "安装起重工",
    "090": "安装钳工",
    "100": "电气设备安装调试工",
    "110": "管道工",
    "120": "变电安装工",
    "130": "建筑电工",
    "140": "司泵工",
    "150": "挖掘铲运和桩工机械司机",
    "160": "桩机操作工",
    "170": "起重信号工",
    "180": "建筑起重机械安装拆卸工",
    "190": "装饰装修工",
    "200": "室内成套设施安装工",
    "210": "建筑门窗幕墙安装工",
    "220": "幕墙制作工",
    "230": "防水工",
    "240": "木工",
    "250": "石工",
    "270": "电焊工",
    "280": "爆破工",
    "290": "除尘工",
    "300": "测量放线工",
    "310": "线路架设工",
    "320": "古建筑传统石工",
    "330": "古建筑传统瓦工",
    "340": "古建筑传统彩画工",
    "350": "古建筑传统木工",
    "360": "古建筑传统油工",
    "380": "金属工",
    "390": "杂工",
    "900": "管理人员",
    "1000": "其他",
}


def job_type_name(code: str | None) -> str:
    """The trade's name, or the code itself when it is not (or no longer) on the list."""
    return JOB_TYPES.get(code or "", code or "")


def fits_identity(identity: str, code: str) -> bool:
    """A manager's job type is 900 管理人员, and only a manager's."""
    return (identity == "manager") == (code == MANAGER_CODE)
