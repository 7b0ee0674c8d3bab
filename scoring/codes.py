"""The domain vocabulary: every code list, once.

Each value has a stable code (what the forms store and scoring reasons about), a Chinese label
(also the text the national monitoring system uses in its exports) and an English label.
Sources: shared/domain.md §1, §3.3, §5, §6 (marked there confirmed or inferred).

This module is plain data. ``forms`` builds XLSForm choice lists from it, ``scoring`` tests codes,
``exports`` turns codes into the national text labels.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Code:
    code: str
    zh: str
    en: str
    national: str | None = None  # national-system text label when it differs from ``zh``

    @property
    def label(self) -> str:
        return self.national or self.zh


@dataclass(frozen=True)
class CodeList:
    name: str
    zh: str
    en: str
    items: tuple[Code, ...]
    source: str = ""
    parent: dict[str, str] = field(default_factory=dict)  # child code -> parent code (sub-items)

    def __iter__(self):
        return iter(self.items)

    def __contains__(self, code: object) -> bool:
        return any(item.code == code for item in self.items)

    def get(self, code: str) -> Code:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(f"{code!r} is not in code list {self.name!r}")

    def by_label(self, label: str) -> Code:
        for item in self.items:
            if label in (item.zh, item.en, item.national, item.code):
                return item
        raise KeyError(f"{label!r} is not a label of code list {self.name!r}")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items)


def _cl(name: str, zh: str, en: str, rows, source: str = "", parent=None) -> CodeList:
    items = tuple(Code(*row) if isinstance(row, tuple) else row for row in rows)
    return CodeList(name, zh, en, items, source, dict(parent or {}))


YES_NO = _cl("yes_no", "是否", "Yes/no", [("yes", "是", "Yes"), ("no", "否", "No")])

SEX = _cl("sex", "性别", "Sex", [("male", "男", "Male"), ("female", "女", "Female")],
          "GB/T 2261.1 (1 = male, 2 = female); inferred")

ID_TYPE = _cl("id_type", "证件类型", "ID document type", [
    ("resident_id", "居民身份证", "Resident ID card"),
    ("disability_cert", "残疾人证", "Disability certificate"),
    ("other", "其他", "Other"),
], "domain.md §3.2")

HOUSEHOLD_TYPE = _cl("household_type", "户类型", "Household type", [
    ("alleviated", "脱贫户", "Formerly poor (lifted out) household"),
    ("ordinary", "一般农户", "Ordinary farm household"),
], "domain.md §1 (export values)")

CATEGORY = _cl("category", "监测对象类别", "Monitoring category", [
    ("unstable", "脱贫不稳定户", "Unstable formerly-poor household"),
    ("marginal", "边缘易致贫户", "Marginal household at risk of poverty"),
    ("sudden_hardship", "突发严重困难户", "Household in sudden severe hardship"),
], "domain.md §1; 002")

RELATION = _cl("relation", "与户主关系", "Relationship to household head", [
    ("head", "户主", "Head of household"),
    ("spouse", "配偶", "Spouse"),
    ("son", "之子", "Son"),
    ("daughter", "之女", "Daughter"),
    ("daughter_in_law", "之儿媳", "Daughter-in-law"),
    ("son_in_law", "之女婿", "Son-in-law"),
    ("grandson", "之孙子", "Grandson (son's son)"),
    ("granddaughter", "之孙女", "Granddaughter (son's daughter)"),
    ("grandson_maternal", "之外孙子", "Grandson (daughter's son)"),
    ("granddaughter_maternal", "之外孙女", "Granddaughter (daughter's daughter)"),
    ("father", "之父", "Father"),
    ("mother", "之母", "Mother"),
    ("father_in_law_w", "之岳父", "Father-in-law (wife's father)"),
    ("mother_in_law_w", "之岳母", "Mother-in-law (wife's mother)"),
    ("father_in_law_h", "之公公", "Father-in-law (husband's father)"),
    ("mother_in_law_h", "之婆婆", "Mother-in-law (husband's mother)"),
    ("grandfather", "之祖父", "Grandfather (paternal)"),
    ("grandmother", "之祖母", "Grandmother (paternal)"),
    ("grandfather_maternal", "之外祖父", "Grandfather (maternal)"),
    ("grandmother_maternal", "之外祖母", "Grandmother (maternal)"),
    ("sibling", "之兄弟姐妹", "Sibling"),
    ("great_grandson", "之曾孙子", "Great-grandson"),
    ("great_granddaughter", "之曾孙女", "Great-granddaughter"),
    ("nephew", "之侄儿", "Nephew"),
    ("niece", "之侄女", "Niece"),
    ("sister_in_law", "之兄弟媳妇", "Sister-in-law (brother's wife)"),
    ("uncle", "之叔伯", "Uncle (father's brother)"),
    ("other", "其他", "Other"),
], "domain.md §3.3, public data-check tool B")

EDUCATION = _cl("education", "文化程度", "Educational attainment", [
    ("illiterate", "文盲或半文盲", "Illiterate or semi-literate"),
    ("primary", "小学", "Primary school"),
    ("junior", "初中", "Junior secondary"),
    ("senior", "高中", "Senior secondary"),
    ("college", "大专", "Junior college"),
    ("bachelor", "本科及以上", "Bachelor's degree or above"),
], "domain.md §3.3 (blank if in school)")

SCHOOL_STATUS = _cl("school_status", "在校生状况", "Current schooling", [
    ("preschool_child", "学龄前儿童", "Pre-school-age child"),
    ("preschool", "学前教育", "In pre-school education"),
    ("primary", "小学", "Primary school"),
    ("grade7", "七年级", "Grade 7"),
    ("grade8", "八年级", "Grade 8"),
    ("grade9", "九年级", "Grade 9"),
    ("high1", "普通高中一年级", "Senior high, year 1"),
    ("high2", "普通高中二年级", "Senior high, year 2"),
    ("high3", "普通高中三年级", "Senior high, year 3"),
    ("vocational1", "中职一年级", "Secondary vocational, year 1"),
    ("vocational2", "中职二年级", "Secondary vocational, year 2"),
    ("vocational3", "中职三年级", "Secondary vocational, year 3"),
    ("higher_vocational1", "高职高专一年级", "Higher vocational, year 1"),
    ("higher_vocational2", "高职高专二年级", "Higher vocational, year 2"),
    ("higher_vocational3", "高职高专三年级", "Higher vocational, year 3"),
    ("technician1", "技师学院一年级", "Technician college, year 1"),
    ("technician2", "技师学院二年级", "Technician college, year 2"),
    ("technician3", "技师学院三年级", "Technician college, year 3"),
    ("technician4", "技师学院四年级", "Technician college, year 4"),
    ("bachelor1", "本科一年级", "Undergraduate, year 1"),
    ("bachelor2", "本科二年级", "Undergraduate, year 2"),
    ("bachelor3", "本科三年级", "Undergraduate, year 3"),
    ("bachelor4", "本科四年级", "Undergraduate, year 4"),
    ("bachelor5", "本科五年级", "Undergraduate, year 5"),
    ("postgraduate", "硕士研究生及以上", "Postgraduate"),
], "domain.md §3.3")

# Compulsory education (义务教育) grades: used by the 三保障 rule on drop-outs.
COMPULSORY_SCHOOL_CODES = ("primary", "grade7", "grade8", "grade9")
# Full-time college students (Ningxia 2020: ≥ 2 college students is a risk marker).
COLLEGE_SCHOOL_CODES = ("higher_vocational1", "higher_vocational2", "higher_vocational3",
                        "bachelor1", "bachelor2", "bachelor3", "bachelor4", "bachelor5")

DROPOUT_REASON = _cl("dropout_reason", "失学或辍学原因", "Reason for being out of school", [
    ("economic", "因经济困难", "Economic hardship"),
    ("illness_disability", "因病因残", "Illness or disability"),
    ("unwilling", "厌学或自身原因", "Unwilling to study / own reasons"),
    ("distance", "上学路途远", "School too far"),
    ("other", "其他", "Other"),
], "inferred (national code list not found; domain.md §3.2 names the field)")

LABOUR_SKILL = _cl("labour_skill", "劳动技能", "Labour ability", [
    ("ordinary", "普通劳动力", "Ordinary labour"),
    ("skilled", "技能劳动力", "Skilled labour"),
    ("weak", "弱劳动力或半劳动力", "Weak or partial labour"),
    ("lost", "丧失劳动力", "Lost labour capacity"),
    ("none", "无劳动力", "No labour capacity"),
], "domain.md §3.3")
ABLE_LABOUR_CODES = ("ordinary", "skilled")

HEALTH = _cl("health", "健康状况", "Health status", [
    ("healthy", "健康", "Healthy"),
    ("chronic", "长期慢性病", "Long-term chronic illness"),
    ("serious_illness", "患有大病", "Serious illness"),
    ("disabled", "残疾", "Disabled"),
], "domain.md §3.3 (multi-select, comma-joined in exports)")

POLITICAL = _cl("political", "政治面貌", "Political affiliation", [
    ("cpc_member", "中共党员", "CPC member"),
    ("cpc_probationary", "中共预备党员", "CPC probationary member"),
    ("cyl_member", "共青团员", "CYL member"),
    ("masses", "群众", "No affiliation"),
    ("democratic_party", "民主党派", "Democratic party member"),
    ("independent", "无党派人士", "Independent"),
], "domain.md §3.3")

ETHNICITY = _cl("ethnicity", "民族", "Ethnic group", [
    (f"{i:02d}", zh, en) for i, (zh, en) in enumerate([
        ("汉族", "Han"), ("蒙古族", "Mongol"), ("回族", "Hui"), ("藏族", "Tibetan"),
        ("维吾尔族", "Uyghur"), ("苗族", "Miao"), ("彝族", "Yi"), ("壮族", "Zhuang"),
        ("布依族", "Buyei"), ("朝鲜族", "Korean"), ("满族", "Manchu"), ("侗族", "Dong"),
        ("瑶族", "Yao"), ("白族", "Bai"), ("土家族", "Tujia"), ("哈尼族", "Hani"),
        ("哈萨克族", "Kazakh"), ("傣族", "Dai"), ("黎族", "Li"), ("傈僳族", "Lisu"),
        ("佤族", "Va"), ("畲族", "She"), ("高山族", "Gaoshan"), ("拉祜族", "Lahu"),
        ("水族", "Sui"), ("东乡族", "Dongxiang"), ("纳西族", "Naxi"), ("景颇族", "Jingpo"),
        ("柯尔克孜族", "Kyrgyz"), ("土族", "Tu"), ("达斡尔族", "Daur"), ("仫佬族", "Mulao"),
        ("羌族", "Qiang"), ("布朗族", "Blang"), ("撒拉族", "Salar"), ("毛南族", "Maonan"),
        ("仡佬族", "Gelao"), ("锡伯族", "Xibe"), ("阿昌族", "Achang"), ("普米族", "Pumi"),
        ("塔吉克族", "Tajik"), ("怒族", "Nu"), ("乌孜别克族", "Uzbek"), ("俄罗斯族", "Russian"),
        ("鄂温克族", "Evenki"), ("德昂族", "De'ang"), ("保安族", "Bonan"), ("裕固族", "Yugur"),
        ("京族", "Gin"), ("塔塔尔族", "Tatar"), ("独龙族", "Derung"), ("鄂伦春族", "Oroqen"),
        ("赫哲族", "Hezhen"), ("门巴族", "Monba"), ("珞巴族", "Lhoba"), ("基诺族", "Jino"),
    ], start=1)
] + [("97", "其他", "Other")], "GB 3304 (inferred as the export's list)")

DISABILITY_TYPE = _cl("disability_type", "残疾类别", "Disability category", [
    ("visual", "视力残疾", "Visual"),
    ("hearing", "听力残疾", "Hearing"),
    ("speech", "言语残疾", "Speech"),
    ("physical", "肢体残疾", "Physical"),
    ("intellectual", "智力残疾", "Intellectual"),
    ("mental", "精神残疾", "Mental"),
    ("multiple", "多重残疾", "Multiple"),
], "GB/T 26341 (inferred)")

DISABILITY_GRADE = _cl("disability_grade", "残疾等级", "Disability grade", [
    ("1", "一级", "Grade 1"), ("2", "二级", "Grade 2"),
    ("3", "三级", "Grade 3"), ("4", "四级", "Grade 4"),
], "GB/T 26341 (inferred)")

WORK_LOCATION = _cl("work_location", "务工所在地", "Place of work", [
    ("in_township", "乡(镇)内务工", "Within the township"),
    ("in_county", "乡(镇)外县内务工", "Outside the township, within the county"),
    ("in_province", "县外省内务工", "Outside the county, within the province"),
    ("out_province", "省外务工", "Outside the province"),
    ("other", "其他", "Other"),
], "domain.md §3.3 (older list)")

EMPLOYMENT_CHANNEL = _cl("employment_channel", "就业渠道", "Employment channel", [
    ("government", "政府组织", "Organised by government"),
    ("enterprise", "企业吸纳", "Recruited by an enterprise"),
    ("self", "自主就业", "Found work independently"),
    ("public_job", "公益性岗位", "Public-welfare job"),
    ("other", "其他", "Other"),
], "inferred (field confirmed in domain.md §3.2, values not)")

DIBAO = _cl("dibao", "享受低保政策情况", "Minimum living allowance (低保)", [
    ("none", "未享受", "Not receiving"),
    ("rural", "农村低保", "Rural 低保"),
    ("urban", "城市低保", "Urban 低保"),
], "domain.md §3.3")

TEKUN = _cl("tekun", "享受特困供养政策情况", "Extreme-poverty support (特困供养)", [
    ("none", "不享受", "Not receiving"),
    ("rural", "农村特困", "Rural 特困"),
    ("urban", "城市特困", "Urban 特困"),
], "domain.md §3.3")

PUBLIC_JOB_TYPE = _cl("public_job_type", "公益性岗位类型", "Public-welfare job type", [
    ("department", "行业部门公益岗", "Sector department"),
    ("township", "乡镇公益岗", "Township"),
    ("village", "村级公益岗", "Village"),
], "domain.md §4.2 (公益岗收入 split)")

HOUSE_GRADE = _cl("house_grade", "危房等级", "House safety grade", [
    ("A", "A级", "Grade A (safe)"), ("B", "B级", "Grade B (basically safe)"),
    ("C", "C级", "Grade C (locally dangerous)"), ("D", "D级", "Grade D (whole house dangerous)"),
], "domain.md §4.3 (C/D = dangerous)")
DANGEROUS_HOUSE_GRADES = ("C", "D")

RISK = _cl("risk", "致贫/返贫风险", "Poverty risk", [
    ("illness", "因病", "Illness"),
    ("natural_disaster", "因自然灾害", "Natural disaster"),
    ("disability", "因残", "Disability"),
    ("lack_of_labour", "缺劳动力", "Lack of labour"),
    ("accident", "因意外事故", "Accident"),
    ("business_failure", "因产业项目失败", "Failed business/project"),
    ("unstable_employment", "因务工就业不稳", "Unstable employment"),
    ("education", "因学", "Schooling costs"),
    ("housing", "住房出现安全问题", "Unsafe housing"),
    ("water", "饮水出现安全问题", "Unsafe drinking water"),
    ("epidemic", "因疫情", "Epidemic"),
    ("weak_motivation", "内生动力不足", "Weak self-motivation"),
    ("other", "其他", "Other (note required)"),
], "domain.md §5.1 (local codes 01–09, 99: inferred as national)")
RISK_LOCAL_CODE = {"illness": "01", "natural_disaster": "02", "disability": "03",
                   "lack_of_labour": "04", "accident": "05", "business_failure": "06",
                   "unstable_employment": "07", "education": "09", "other": "99"}
MAX_RISKS = 5

DISASTER = _cl("disaster", "自然灾害子项", "Natural-disaster sub-item", [
    ("flood", "洪涝", "Flood"), ("geological", "地质灾害", "Geological"),
    ("drought", "旱灾", "Drought"), ("biological", "生物灾害", "Biological"),
    ("meteorological", "气象灾害", "Meteorological"), ("earthquake", "地震", "Earthquake"),
    ("other", "其他", "Other"),
], "domain.md §5.1 (local codes 0201–0206, 0299)")

MEASURE = _cl("measure", "帮扶措施", "Assistance measure", [
    ("industry", "产业帮扶", "Industry support"),
    ("employment", "就业帮扶", "Employment support"),
    ("finance", "金融帮扶", "Financial support"),
    ("public_job", "公益岗位帮扶", "Public-welfare job"),
    ("health", "健康帮扶", "Health support"),
    ("compulsory_education", "义务教育保障", "Compulsory-education guarantee"),
    ("other_education", "其他教育帮扶", "Other education support"),
    ("housing_security", "住房安全保障", "Housing-safety guarantee"),
    ("water_security", "饮水安全保障", "Drinking-water guarantee"),
    ("social_protection", "综合保障", "Social protection (低保, 特困, disability allowance)"),
    ("social_assistance", "社会帮扶", "Social assistance"),
    ("relocation", "搬迁", "Relocation"),
    ("living_conditions", "生产生活条件改善", "Better living and production conditions"),
    ("infrastructure", "基础设施建设", "Infrastructure"),
], "domain.md §5.2 (14 national columns)")
# 开发式帮扶 = 产业 + 就业 + 金融 + 公益岗位 (Gzuwkj rule 5_12_007)
DEVELOPMENTAL_MEASURES = ("industry", "employment", "finance", "public_job")

ELIMINATION_METHOD = _cl("elimination_method", "风险消除方式", "How the risk was eliminated", [
    ("assisted", "帮扶消除", "Eliminated through assistance"),
    ("natural", "自然消除", "Eliminated naturally"),
], "domain.md §3.1")

EXCLUSION = _cl("exclusion", "排除情形", "Exclusion predicate", [
    ("public_employee", "家庭成员在国家机关、事业单位、国有企业工作", "Member formally employed by the state"),
    ("large_grower_or_deposits", "种养大户或有大额存款", "Large grower/breeder or large deposits"),
    ("vehicle", "拥有车辆或大型农机具", "Owns a vehicle or large farm machinery"),
    ("town_property", "在城镇拥有商品房、商铺或自建房", "Owns property in a town"),
    ("company", "注册公司或经营实体", "Registered company or business"),
    ("large_compensation", "获得大额征地拆迁补偿", "Large land/demolition compensation"),
    ("high_fee_school", "子女高收费择校、私立学校或出国留学", "Child in high-fee or overseas school"),
    ("village_cadre_pay", "村干部领取固定报酬", "Village cadre on fixed pay"),
], "002 eight categories (domain.md §6.1); warnings, never rejection")

# Sub-items of the income model (domain.md §4.2). Keys are record paths under ``income``.
INCOME_ITEMS: dict[str, tuple[Code, ...]] = {
    "wage": (
        Code("migrant_work", "务工收入", "Wages from work"),
        Code("public_job", "公益岗收入", "Public-welfare job pay"),
        Code("picking", "自主采摘收入", "Self-employed picking"),
    ),
    "business": (
        Code("planting", "种植业", "Crops"), Code("breeding", "养殖业", "Livestock"),
        Code("forestry", "林果业", "Forestry and fruit"), Code("other", "其他", "Other"),
    ),
    "property": (
        Code("dividend", "资产收益扶贫分红", "Asset-income dividend"),
        Code("land_transfer", "土地流转", "Land rental"),
        Code("loan_project", "金融贷款项目(入股)", "Loan project shares"),
        Code("proxy_farming", "代种代养项目", "Proxy farming project"),
        Code("other", "其他", "Other"),
    ),
    "transfer": (
        Code("family_planning", "计划生育金", "Family-planning payment"),
        Code("dibao", "低保金", "低保 allowance"),
        Code("tekun", "特困供养金", "特困 support"),
        Code("pension", "养老保险金", "Pension"),
        Code("eco_compensation", "生态补偿金", "Ecological compensation"),
        Code("support_from_children", "赡养费", "Support paid by children"),
        Code("disability_allowance", "残疾补贴", "Disability allowance"),
        Code("elderly_allowance", "高龄补贴", "Old-age allowance"),
        Code("agri_subsidy", "农业补贴", "Farm subsidies (地力, 种植, 保险)"),
        Code("relief", "救灾款和社会救济", "Relief and social assistance"),
        Code("poverty_insurance", "防贫保险", "Anti-poverty insurance"),
        Code("other", "其他转移性收入", "Other transfers"),
    ),
    "business_costs": (
        Code("planting", "种植业", "Crops"), Code("breeding", "养殖业", "Livestock"),
        Code("forestry", "林果业", "Forestry and fruit"), Code("other", "其他", "Other"),
    ),
}
INCOME_COMPONENTS = {
    "wage": ("工资性收入", "Wage income"),
    "business": ("生产经营性收入", "Business income"),
    "property": ("财产性收入", "Property income"),
    "transfer": ("转移性收入", "Transfer income"),
    "business_costs": ("生产经营性支出", "Business costs"),
}

SPENDING = _cl("spending", "合规自付支出", "Eligible self-paid spending", [
    ("education", "教育支出", "Education"),
    ("medical", "医疗支出", "Medical"),
    ("housing", "住房支出", "Housing"),
    ("water", "饮水支出", "Drinking water"),
    ("disaster_loss", "灾害事故财产损失", "Property loss from disaster or accident"),
], "002 five kinds (domain.md §4.3)")

UNINSURED_REASON = _cl("uninsured_reason", "未参加基本医疗保险原因", "Why not in basic medical insurance", [
    ("personal", "个人原因", "Personal reasons"),
    ("other", "其他原因", "Other reasons"),
], "docs/household-record.md (members[].uninsured_reason); inferred")

ALLEVIATED_CLASS = _cl("alleviated_class", "脱贫户分类（安徽 2020）", "Class of formerly-poor household (Anhui 2020)", [
    ("monitored", "脱贫监测户", "Monitored formerly-poor household"),
    ("entitled", "享受政策的脱贫户", "Formerly-poor household keeping its policies"),
    ("not_entitled", "不享受政策的脱贫户", "Formerly-poor household no longer receiving subsidy-type funds"),
], "003 (domain.md §1); used where the policy sets alleviated_class_line")

GUARANTEE_STATUS = _cl("guarantee_status", "保障状况", "Guarantee status", [
    ("met", "已保障", "Met"), ("not_met", "未保障", "Not met"), ("unknown", "未核实", "Not verified"),
], "scoring (三保障 + 饮水 outcome)")

# Multi-selects of the household survey that stand for rows of 是/否 (issue 18): "tick what applies,
# or 以上均无". Each item's code names the 是/否 it answers; the forms compute those per item.
NONE_OF_THE_ABOVE = Code("none", "以上均无", "None of the above")

INSURANCE = _cl("insurance", "参加了哪些保险（可多选）", "Insurance the member has (tick all)", [
    ("resident_medical", "城乡居民基本医疗保险", "Resident basic medical insurance"),
    ("employee_medical", "城镇职工基本医疗保险", "Employee basic medical insurance"),
    ("serious_illness", "大病保险", "Serious-illness insurance"),
    ("commercial", "商业补充医疗保险", "Commercial supplementary medical insurance"),
    ("medical_assistance", "大病医疗救助", "(Serious-illness) medical assistance"),
    ("resident_pension", "城乡居民基本养老保险", "Resident basic pension"),
    ("employee_pension", "城镇职工基本养老保险", "Employee basic pension"),
    ("none", NONE_OF_THE_ABOVE.zh, NONE_OF_THE_ABOVE.en),
], "forms: one multi-select for the seven 是/否 insurance columns of domain.md §3.3")

WATER_PROBLEM = _cl("water_problem", "住房和饮水存在的问题（有则勾选）", "Housing and drinking-water problems (tick any)", [
    ("housing", "住房出现安全问题", "The house is unsafe"),
    ("quality", "水质不达标", "Water quality below the standard"),
    ("quantity", "水量不足", "Not enough water"),
    ("convenience", "取水不方便", "Water is not convenient to fetch"),
    ("reliability", "供水没有保障", "Supply is not reliable"),
    ("none", NONE_OF_THE_ABOVE.zh, NONE_OF_THE_ABOVE.en),
], "forms: 住房安全 and the four 饮水安全 items (domain.md §5), ticked when not met")

EXCLUSION_CHECK = _cl("exclusion_check", "存在以下情形（有则勾选）", "Exclusion cases that apply (tick any)", [
    *((c.code, c.zh, c.en) for c in EXCLUSION.items),
    ("none", NONE_OF_THE_ABOVE.zh, NONE_OF_THE_ABOVE.en),
], "forms: the eight exclusion predicates of domain.md §6.1 as one multi-select")

# 文化程度 and 在校生状况 as one question (exactly one of the two applies): "edu_<code>" or "school_<code>".
EDUCATION_OR_SCHOOL = _cl("education_or_school", "文化程度 / 在校情况", "Education, or current schooling", [
    *((f"school_{c.code}", f"在校：{c.zh}", f"In school: {c.en}") for c in SCHOOL_STATUS.items),
    *((f"edu_{c.code}", f"不在校，文化程度：{c.zh}", f"Not in school, education: {c.en}") for c in EDUCATION.items),
], "forms: EDUCATION and SCHOOL_STATUS with a prefix (domain.md §3.3: only one of the two is filled)")

# The household's situation (issue 18): 是/否 questions about the household as one "tick what applies".
HOUSEHOLD_FLAGS = _cl("household_flags", "本户情况（有则勾选）", "The household (tick what applies)", [
    ("military_family", "军烈属", "Military or martyr family"),
    ("relocated", "易地扶贫搬迁户", "Relocated under poverty relocation"),
    ("no_labour", "整户无劳动能力兜底保障户", "Whole household without labour capacity (social-protection case)"),
    ("no_mandarin", "有家庭成员不会讲普通话", "A member does not speak Mandarin"),
    ("none", NONE_OF_THE_ABOVE.zh, NONE_OF_THE_ABOVE.en),
], "forms: household 是/否 facts of domain.md §3.1–3.3 as one multi-select")

ALL: dict[str, CodeList] = {cl.name: cl for cl in [
    YES_NO, SEX, ID_TYPE, HOUSEHOLD_TYPE, CATEGORY, RELATION, EDUCATION, SCHOOL_STATUS,
    DROPOUT_REASON, LABOUR_SKILL, HEALTH, POLITICAL, ETHNICITY, DISABILITY_TYPE, DISABILITY_GRADE,
    WORK_LOCATION, EMPLOYMENT_CHANNEL, DIBAO, TEKUN, PUBLIC_JOB_TYPE, HOUSE_GRADE, RISK, DISASTER,
    MEASURE, ELIMINATION_METHOD, EXCLUSION, SPENDING, UNINSURED_REASON, ALLEVIATED_CLASS,
    GUARANTEE_STATUS, INSURANCE, WATER_PROBLEM, EXCLUSION_CHECK, EDUCATION_OR_SCHOOL, HOUSEHOLD_FLAGS,
]}


def code_list(name: str) -> CodeList:
    try:
        return ALL[name]
    except KeyError:
        raise KeyError(f"no code list named {name!r}") from None
