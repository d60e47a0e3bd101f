"""Job types (工种): the trade codes of the national construction worker management
platform (全国建筑工人管理服务信息平台, 工种字典), code → name.

Employment stores the code; pages show the name. Managers (管理人员) take code 900;
every other code belongs to a construction worker (建筑工人). Names are marked with N_
for the catalogue: pages show them in the user's language (gettext at display); documents
such as the payroll PDF keep the official Chinese names.
"""
from app.services.i18n import N_

MANAGER_CODE = "900"

JOB_TYPES: dict[str, str] = {
    "010": N_("砌筑工"),
    "020": N_("钢筋工"),
    "030": N_("架子工"),
    "040": N_("混凝土工"),
    "050": N_("模板工"),
    "060": N_("机械设备安装工"),
    "070": N_("通风工"),
    "080": N_("安装起重工"),
    "090": N_("安装钳工"),
    "100": N_("电气设备安装调试工"),
    "110": N_("管道工"),
    "120": N_("变电安装工"),
    "130": N_("建筑电工"),
    "140": N_("司泵工"),
    "150": N_("挖掘铲运和桩工机械司机"),
    "160": N_("桩机操作工"),
    "170": N_("起重信号工"),
    "180": N_("建筑起重机械安装拆卸工"),
    "190": N_("装饰装修工"),
    "200": N_("室内成套设施安装工"),
    "210": N_("建筑门窗幕墙安装工"),
    "220": N_("幕墙制作工"),
    "230": N_("防水工"),
    "240": N_("木工"),
    "250": N_("石工"),
    "270": N_("电焊工"),
    "280": N_("爆破工"),
    "290": N_("除尘工"),
    "300": N_("测量放线工"),
    "310": N_("线路架设工"),
    "320": N_("古建筑传统石工"),
    "330": N_("古建筑传统瓦工"),
    "340": N_("古建筑传统彩画工"),
    "350": N_("古建筑传统木工"),
    "360": N_("古建筑传统油工"),
    "380": N_("金属工"),
    "390": N_("杂工"),
    "900": N_("管理人员"),
    "1000": N_("其他"),
}


def job_type_name(code: str | None) -> str:
    """The trade's name, or the code itself when it is not (or no longer) on the list."""
    return JOB_TYPES.get(code or "", code or "")


def fits_identity(identity: str, code: str) -> bool:
    """A manager's job type is 900 管理人员, and only a manager's."""
    return (identity == "manager") == (code == MANAGER_CODE)
