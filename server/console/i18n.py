"""The console's one translation table (zh-CN default, English on request) and label helpers.

Every string a console page shows goes through ``t(key)``; code values are labelled from their
single source: ``scoring.codes`` (code lists), ``server.roles`` (roles, levels) and
``server.workflow`` (procedures, states, transitions, deadlines, record fields).
"""
from __future__ import annotations

from flask import g, has_request_context

LANGS = ("zh", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    # chrome
    "app.title": ("守底 · 防返贫监测工作台", "shoudi · monitoring console"),
    "app.short": ("守底", "shoudi"),
    "nav.dashboard": ("工作概况", "Dashboard"),
    "nav.households": ("农户", "Households"),
    "nav.jobs": ("任务与导出", "Jobs and exports"),
    "nav.users": ("用户", "Users"),
    "nav.forms": ("表单", "Forms"),
    "nav.held": ("待审核提交", "Held submissions"),
    # held submissions (server/register/holds.py)
    "held.title": ("待审核提交", "Held submissions"),
    "held.help": ("这些提交已接收保存，但提交人无权在其涉及的区划或农户写入，或成员已登记在其他农户，须由乡镇、县级审核：应用、指定到农户，或驳回。",
                  "These submissions were received and stored, but their submitter may not write where they "
                  "point, or a member is registered in another household: township or county staff apply "
                  "them, assign them to a household, or reject them."),
    "held.state": ("状态", "State"),
    "held.state.open": ("待审核", "Awaiting review"),
    "held.state.applied": ("已应用", "Applied"),
    "held.state.assigned": ("已指定农户并应用", "Assigned and applied"),
    "held.state.rejected": ("已驳回", "Rejected"),
    "held.received": ("接收时间", "Received"),
    "held.submitter": ("提交人", "Submitted by"),
    "held.reason": ("待审核原因", "Why it is held"),
    "held.household": ("匹配农户", "Matched household"),
    "held.new_household": ("（新户）", "(new household)"),
    "held.decision": ("审核决定", "Decision"),
    "held.assign_to": ("指定农户编号（ID）", "Assign to household (id)"),
    "held.apply": ("应用", "Apply"),
    "held.assign": ("指定到该户", "Assign"),
    "held.reject": ("驳回", "Reject"),
    "held.not_yours": ("涉及您负责区域以外的区划，须由上级审核", "Concerns regions outside yours: a higher level decides"),
    "held.on_household": ("{n} 条涉及本户的提交待审核", "{n} held submission(s) concern this household"),
    "held.need_household": ("请填写要指定的农户编号。", "Enter the id of the household to assign it to."),
    "held.decided.apply": ("已应用该提交。", "The submission was applied."),
    "held.decided.assign": ("已将该提交指定到农户并应用。", "The submission was assigned and applied."),
    "held.decided.reject": ("已驳回该提交。", "The submission was rejected."),
    "nav.encryption": ("加密", "Encryption"),
    "nav.logout": ("退出登录", "Log out"),
    "nav.lang": ("English", "中文"),
    "nav.signed_in_as": ("当前用户", "Signed in as"),
    "nav.skip": ("跳到正文", "Skip to content"),
    "common.none": ("无", "None"),
    "common.total": ("合计", "Total"),
    "common.count": ("户数", "Households"),
    "common.region": ("区划", "Region"),
    "common.all": ("全部", "All"),
    "common.filter": ("筛选", "Filter"),
    "common.reset": ("清除", "Clear"),
    "common.save": ("保存", "Save"),
    "common.submit": ("提交", "Submit"),
    "common.yes": ("是", "Yes"),
    "common.no": ("否", "No"),
    "common.unknown": ("未知", "Unknown"),
    "common.previous": ("上一页", "Previous"),
    "common.next": ("下一页", "Next"),
    "common.page": ("第 {page} / {pages} 页，共 {total} 条", "Page {page} of {pages}, {total} in all"),
    "common.when": ("时间", "When"),
    "common.who": ("操作人", "Who"),
    "common.state": ("状态", "State"),
    "common.reason": ("原因", "Reason"),
    "common.note": ("备注", "Note"),
    "common.details": ("详情", "Details"),
    "common.yuan": ("元", "yuan"),
    "common.print": ("打印", "Print"),
    "common.back": ("返回", "Back"),
    "common.open": ("查看", "Open"),
    "common.empty": ("暂无记录。", "Nothing yet."),
    # login
    "login.title": ("登录", "Log in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.failed": ("用户名或密码错误。", "Wrong username or password."),
    "login.required": ("请先登录。", "Please log in."),
    "login.logged_out": ("您已退出登录。", "You have logged out."),
    "login.locked": ("登录失败次数过多，已临时锁定，请 {minutes} 分钟后再试或联系管理员解锁。",
                     "Too many failed logins: locked for {minutes} more minute(s). Try again later or ask an "
                     "administrator to unlock."),
    "nav.password": ("修改密码", "Change password"),
    "password.title": ("修改密码", "Change password"),
    "password.forced": ("当前是初始密码或重置后的密码，请先设置您自己的密码。",
                        "You are using an initial or reset password: choose your own before continuing."),
    "password.rules": ("新密码至少 {min} 位，不能是常见密码、纯数字或包含用户名。修改后其他设备上的登录将失效。",
                       "At least {min} characters, not a common password, not only digits, not containing "
                       "your user name. Logins on other devices end when you change it."),
    "password.current": ("当前密码", "Current password"),
    "password.new": ("新密码", "New password"),
    "password.confirm": ("再次输入新密码", "New password again"),
    "password.submit": ("修改密码", "Change password"),
    "password.wrong_current": ("当前密码错误。", "The current password is wrong."),
    "password.mismatch": ("两次输入的新密码不一致。", "The two new passwords differ."),
    "password.same": ("新密码不能与当前密码相同。", "The new password must differ from the current one."),
    "password.changed": ("密码已修改。", "Password changed."),
    "users.unlock": ("解除锁定", "Unlock"),
    "users.unlocked": ("已解除 {username} 的登录锁定。", "Login lock of {username} lifted."),
    "users.not_locked": ("{username} 没有被锁定。", "{username} was not locked."),
    "users.locked": ("已锁定", "Locked"),
    "users.reset": ("重置密码", "Reset password"),
    "users.reset_done": ("{username} 的临时密码：{password}（仅显示一次，用户首次登录后须修改）",
                         "Temporary password of {username}: {password} (shown once; to be changed at the next login)"),
    "users.locks": ("登录锁定", "Login locks"),
    "users.lock_until": ("锁定至", "Locked until"),
    "users.address": ("网络地址", "Address"),
    "login.hint": ("供乡镇审核人员、县级工作人员和管理员使用。", "For township reviewers, county staff and administrators."),
    # errors
    "error.title": ("无法显示此页面", "This page cannot be shown"),
    "error.403": ("您的角色无权访问此页面。", "Your role may not open this page."),
    "error.404": ("未找到，或不在您负责的区划内。", "Not found, or outside your regions."),
    "error.400": ("请求无效。", "Invalid request."),
    "error.405": ("此页面不支持这种操作方式。", "This page does not accept this kind of request."),
    "error.csrf": ("页面已过期，请返回重新提交。", "The page has expired; go back and submit again."),
    "error.409": ("操作未能完成。", "The action could not be completed."),
    "error.422": ("输入有误。", "The input is not valid."),
    "error.500": ("服务器内部错误。", "Internal server error."),
    # dashboard
    "dash.title": ("工作概况", "Dashboard"),
    "dash.scope": ("范围", "Scope"),
    "dash.by_category": ("各地监测对象类别", "Monitoring categories by area"),
    "dash.by_status": ("各地农户状态", "Household status by area"),
    "dash.cases": ("进行中的程序（按步骤）", "Open procedures by step"),
    "dash.overdue": ("逾期时限", "Missed deadlines"),
    "dash.failures": ("处理失败的提交", "Submissions that failed processing"),
    "dash.processing": ("提交处理情况", "Submissions by processing state"),
    "processing.pending": ("待处理", "Waiting for processing"),
    "processing.done": ("已处理", "Processed"),
    "processing.failed": ("处理失败", "Failed"),
    "processing.not_applicable": ("无需登记", "No register step applies"),
    "processing.encrypted": ("待解密", "Encrypted, waiting for decryption"),
    "processing.held": ("待审核", "Held for review"),
    "processing.rejected": ("已驳回", "Rejected by a reviewer"),
    "dash.area": ("地区", "Area"),
    "dash.no_category": ("非监测对象", "Not a monitoring object"),
    "dash.chart_note": ("图中数字与下表一致。", "The chart shows the numbers of the table below."),
    "dash.due_on": ("应完成日期", "Due"),
    "dash.met_on": ("完成日期", "Met on"),
    "dash.late_days": ("逾期（天）", "Days late"),
    "dash.deadline": ("时限", "Deadline"),
    "dash.household": ("农户", "Household"),
    "dash.instance": ("提交编号", "Instance"),
    "dash.form": ("表单", "Form"),
    "dash.submitter": ("提交人", "Submitted by"),
    "dash.received": ("接收时间", "Received"),
    "dash.step": ("失败环节", "Failed step"),
    "dash.error": ("错误类型", "Error type"),
    "dash.drill": ("下钻", "Drill down"),
    "dash.procedure": ("程序", "Procedure"),
    # households
    "hh.title": ("农户", "Households"),
    "hh.search": ("查找农户", "Find a household"),
    "hh.search_help": ("姓名（户主或成员）、证件号码（全号或后4–6位）、户编号或联系电话",
                       "Name (head or member), ID number (whole or its last 4–6 characters), household number or phone"),
    "hh.township": ("乡镇", "Township"),
    "hh.sort_by": ("按此列排序", "Sort by this column"),
    "common.go_to_page": ("跳至页码", "Go to page"),
    "common.go": ("跳转", "Go"),
    "level.province": ("省", "Province"),
    "level.city": ("市", "City"),
    "level.county": ("县", "County"),
    "level.township": ("乡镇", "Township"),
    "level.village": ("村", "Village"),
    "common.region_search": ("搜索区划名称", "Search region names"),
    "hh.head": ("户主", "Head"),
    "hh.no": ("户编号", "Household no."),
    "hh.village": ("村", "Village"),
    "hh.category": ("监测类别", "Category"),
    "hh.status": ("状态", "Status"),
    "hh.updated": ("更新时间", "Updated"),
    "hh.head_id": ("户主证件号码", "Head's ID number"),
    "hh.people": ("人口", "People"),
    "hh.conflict": ("数据冲突", "Conflict"),
    "hh.conflict.soft": ("轻度冲突", "soft conflict"),
    "hh.conflict.hard": ("严重冲突", "hard conflict"),
    "hh.type": ("户类型", "Household type"),
    "hh.identified_on": ("识别时间", "Identified on"),
    "hh.eliminated_on": ("消除时间", "Eliminated on"),
    "hh.status_reason": ("告知原因", "Reason given"),
    "hh.address": ("地址", "Address"),
    "hh.no_number": ("（未取得）", "(not assigned yet)"),
    "hh.members": ("家庭成员", "Members"),
    "hh.m.name": ("姓名", "Name"),
    "hh.m.relation": ("与户主关系", "Relationship"),
    "hh.m.sex": ("性别", "Sex"),
    "hh.m.birth": ("出生日期", "Birth date"),
    "hh.m.id": ("证件号码", "ID number"),
    "hh.m.health": ("健康状况", "Health"),
    "hh.m.labour": ("劳动技能", "Labour"),
    "hh.m.school": ("在校情况", "Schooling"),
    "hh.m.inactive": ("已不在本户", "no longer in this household"),
    "hh.id_masked": ("证件号码已部分隐藏。", "ID numbers are partly hidden."),
    "hh.assessment": ("最新评估", "Latest assessment"),
    "hh.no_assessment": ("尚无评估（该区划和年份可能尚无政策标准）。",
                         "Not assessed yet (there may be no policy for this region and year)."),
    "hh.policy": ("政策", "Policy"),
    "hh.floor": ("监测标准", "Monitoring floor"),
    "hh.policy_line": ("{region} {year} 年 监测标准 {floor} 元", "{region}, {year}: monitoring floor {floor} yuan"),
    "hh.score_picture": ("收入与支出", "Income and spending"),
    "hh.guarantees": ("两不愁三保障及饮水安全", "Basic needs: education, medical care, housing, water"),
    "guarantee.education": ("义务教育", "Compulsory education"),
    "guarantee.medical": ("基本医疗", "Basic medical care"),
    "guarantee.housing": ("住房安全", "Safe housing"),
    "guarantee.water": ("饮水安全", "Safe drinking water"),
    "hh.findings": ("评估发现", "Findings"),
    "hh.f.rule": ("规则", "Rule"),
    "hh.f.severity": ("级别", "Severity"),
    "hh.f.explanation": ("说明", "Explanation"),
    "hh.f.source": ("依据", "Source"),
    "hh.f.overridden": ("已由县级保留：{reason}", "Kept by the county: {reason}"),
    "hh.needs_review": ("需人工复核", "Needs review"),
    "severity.error": ("错误", "Error"),
    "severity.warning": ("提示", "Warning"),
    "severity.info": ("说明", "Info"),
    "hh.warnings": ("部门比对预警", "Department comparison warnings"),
    "hh.w.source": ("数据来源", "Source"),
    "hh.w.exclusion": ("排除情形", "Exclusion"),
    "hh.w.date": ("登记日期", "Record date"),
    "hh.w.detail": ("比对详情", "Detail"),
    "hh.w.confirm": ("确认排除", "Confirm the exclusion"),
    "hh.w.override": ("保留（须说明理由）", "Keep the household (reason required)"),
    "hh.w.decide_help": ("由县级工作人员确认或说明理由后保留；操作写入审计日志。",
                         "County staff confirm, or keep the household with a reason; recorded in the audit log."),
    "hh.w.decided": ("已处理", "Decided"),
    "warning.open": ("待处理", "Open"),
    "warning.confirmed": ("已确认排除", "Confirmed"),
    "warning.overridden": ("已说明理由保留", "Overridden"),
    "hh.cases": ("办理程序", "Procedures"),
    "hh.no_cases": ("尚未启动识别或消除程序。", "No procedure has been started."),
    "hh.case.steps": ("已办步骤", "Steps taken"),
    "hh.case.deadlines": ("时限", "Deadlines"),
    "hh.case.next": ("可办理的步骤", "Possible next steps"),
    "hh.case.blocked": ("暂不能办理", "Not possible now"),
    "hh.case.closed": ("已结束", "Closed"),
    "hh.case.open_identification": ("启动识别程序", "Start identification"),
    "hh.case.entry_channel": ("线索来源", "Entry channel"),
    "hh.case.open_exit": ("启动渐退程序", "Start gradual exit"),
    "hh.case.done": ("已办理：{name}", "Done: {name}"),
    "hh.case.refused": ("不能办理此步骤", "The step is not possible now"),
    "hh.case.objection": ("公示异议", "Objection to the notice"),
    "hh.case.objection_raise": ("登记异议", "Record an objection"),
    "hh.case.objection_clear": ("异议已处理", "Objection resolved"),
    "hh.case.objection_on": ("公示期内有异议，须处理后方可继续。", "An objection was raised during the notice."),
    "hh.case.role": ("办理角色", "Role"),
    "hh.case.on": ("实际办理日期", "Date the step was done"),
    "hh.case.on_help": ("线下已办理的步骤可补记实际日期（最多{days}天前，不早于上一步骤）",
                        "A step done offline can be recorded with its real date (at most {days} days back, "
                        "not before the previous step)"),
    "hh.case.on_invalid": ("办理日期无效", "Invalid date"),
    "hh.case.negative": ("退回或否定的操作", "Steps back or refusals"),
    "hh.case.confirm": ("我已核实情况，确认办理此操作", "I have checked the situation and confirm this step"),
    "hh.case.confirm_needed": ("须勾选确认并填写原因后才能办理", "Tick the confirmation and give a reason first"),
    "hh.case.reidentify": ("重新识别（该户{status}）", "Identify again (the household is {status})"),
    "hh.case.reidentify_help": ("该户已{status}。只有出现新的返贫致贫风险时才可重新识别：须填写原因并确认，操作记入日志。",
                                "The household is {status}. Identify it again only for a new risk: give the "
                                "reason and confirm; the action is logged."),
    "hh.case.no_reidentify": ("该户已是监测对象，不能重新启动识别程序。", "The household is monitored; it cannot be "
                              "identified again."),
    "hh.case.household_no_help": ("国家系统分配的户编号（4–32位数字或字母）", "The number the national system "
                                  "assigned (4–32 letters or digits)"),
    "hh.versions": ("版本记录", "Versions"),
    "hh.v.number": ("版本", "Version"),
    "hh.v.form": ("表单", "Form"),
    "hh.v.submission": ("来源提交", "Submission"),
    "hh.v.base": ("基于版本", "Based on"),
    "hh.v.received": ("接收时间", "Received"),
    "hh.v.created": ("记录时间", "Recorded"),
    "hh.photos": ("照片与签名", "Photos and signatures"),
    "hh.photo.authorization_photo": ("承诺授权书", "Signed authorization letter"),
    "hh.photo.signature": ("签名", "Signature"),
    "hh.photo.evidence_photos": ("佐证照片", "Evidence photo"),
    "hh.photo.missing": ("照片尚未上传。", "The photo has not been received."),
    "hh.no_photos": ("没有照片。", "No photos."),
    "hh.audit": ("操作记录", "Audit trail"),
    "hh.a.action": ("操作", "Action"),
    "hh.a.change": ("变更", "Change"),
    "hh.resolve_conflict": ("已核对，清除冲突标记", "Checked: clear the conflict flag"),
    "hh.conflict_help": ("手机端基于旧版本提交了更新，请核对版本记录。",
                         "A phone sent an update made from an older version; check the versions."),
    "hh.conflict_resolved": ("冲突标记已清除。", "Conflict flag cleared."),
    # score picture
    "score.per_capita": ("人均纯收入", "Per-capita net income"),
    "score.after_spending": ("扣除刚性支出后人均", "Per capita after rigid spending"),
    "score.floor": ("监测标准 {floor} 元", "Floor {floor} yuan"),
    "score.components": ("家庭纯收入构成", "Family net income"),
    "score.wage": ("工资性收入", "Wages"),
    "score.business": ("生产经营性收入", "Business"),
    "score.business_costs": ("生产经营性支出", "Business costs"),
    "score.property": ("财产性收入", "Property"),
    "score.transfer": ("转移性收入", "Transfers"),
    "score.insurance_payouts": ("理赔收入", "Insurance payouts"),
    "score.net": ("家庭纯收入", "Net income"),
    "score.spending": ("合规自付支出（刚性支出）", "Rigid (eligible self-paid) spending"),
    "score.people": ("共同生活人口 {people} 人", "{people} people in the household"),
    "score.below": ("低于监测标准", "below the floor"),
    "score.above": ("不低于监测标准", "at or above the floor"),
    "score.chart_label": ("收入、支出与监测标准对比图", "Income and spending against the floor"),
    # jobs
    "jobs.title": ("任务与导出", "Jobs and exports"),
    "jobs.jobs": ("后台任务", "Background jobs"),
    "jobs.kind": ("类型", "Kind"),
    "jobs.progress": ("进度", "Progress"),
    "jobs.message": ("信息", "Message"),
    "jobs.created": ("创建时间", "Created"),
    "jobs.finished": ("完成时间", "Finished"),
    "jobs.refreshing": ("有任务正在进行，本页每 5 秒自动刷新。", "Jobs are running; this page refreshes every 5 seconds."),
    "jobs.comparison": ("部门数据比对", "Department data comparison"),
    "jobs.comparison_help": ("上传部门数据文件（CSV 或 XLSX），按证件号码与本地区家庭成员比对，命中的生成预警。",
                             "Upload a department file (CSV or XLSX); its ID numbers are matched against the "
                             "region's household members and every hit becomes a warning."),
    "jobs.comparison_start": ("上传并比对", "Upload and compare"),
    "jobs.file": ("文件", "File"),
    "jobs.notices": ("公示名单（在线打印）", "Notice lists (print)"),
    "jobs.notices_help": ("按当前公示中的农户实时生成，打开后可直接打印。",
                          "Built live from the households under notice; open and print."),
    "jobs.exports": ("导出批次", "Export batches"),
    "jobs.download": ("下载", "Download"),
    "jobs.spec": ("内容", "Content"),
    "jobs.full": ("全量", "Full"),
    "jobs.incremental": ("增量", "Incremental"),
    "jobs.households": ("户数", "Households"),
    "jobs.rows": ("行数", "Rows"),
    "jobs.issues": ("校验问题", "Issues"),
    "jobs.start_export": ("发起导出", "Start an export"),
    "jobs.start_rescore": ("重新评分", "Re-score"),
    "jobs.rescore_help": ("政策调整后，按现行政策重新评估该区划全部农户。",
                          "After a policy change, assess every household of the region again."),
    "jobs.year": ("政策年度（留空按调查日期）", "Policy year (empty: by survey date)"),
    "jobs.full_label": ("全量导出（不勾选则只导出上次导出后的变化）", "Full export (otherwise only changes since the last one)"),
    "jobs.queued": ("已加入任务队列（任务 #{id}）。", "Queued as job #{id}."),
    "jobs.none": ("暂无任务。", "No jobs yet."),
    "jobs.no_exports": ("暂无导出批次。", "No export batches yet."),
    "jobs.worker_note": ("任务由后台进程（shoudi worker）执行。", "Jobs are run by the background worker (shoudi worker)."),
    "jobs.error": ("失败原因", "Error"),
    "job.queued": ("排队中", "Queued"),
    "job.running": ("进行中", "Running"),
    "job.done": ("已完成", "Done"),
    "job.failed": ("失败", "Failed"),
    "job.replaced": ("已被替换", "Replaced"),
    "jobkind.rescore": ("重新评分", "Re-scoring"),
    "jobkind.comparison": ("部门数据比对", "Department data comparison"),
    "jobkind.export": ("导出", "Export"),
    "export.national": ("国家系统录入表", "National-system sheet"),
    "export.notice": ("公示名单", "Notice list"),
    "export.csv": ("表单数据 CSV", "Form data CSV"),
    "export.photos": ("佐证照片包", "Photo bundle"),
    "export.notice.identification_village": ("识别·村级公示", "Identification, village notice"),
    "export.notice.identification_county": ("识别·县级公示", "Identification, county notice"),
    "export.notice.elimination_village": ("风险消除·村级公示", "Elimination, village notice"),
    "export.notice.elimination_county": ("风险消除·县级公示", "Elimination, county notice"),
    "export.photos.monitored": ("监测对象", "Monitored households"),
    "export.photos.all": ("全部农户", "All households"),
    # admin
    "users.title": ("用户", "Users"),
    "users.username": ("用户名", "Username"),
    "users.display_name": ("姓名", "Name"),
    "users.role": ("角色", "Role"),
    "users.regions": ("负责区划", "Regions"),
    "users.active": ("启用", "Active"),
    "users.disabled": ("已停用", "Disabled"),
    "users.add": ("新增用户", "Add a user"),
    "users.password": ("初始密码", "Initial password"),
    "users.region_codes": ("区划代码（多个用空格分隔）", "Region codes (separated by spaces)"),
    "users.disable": ("停用", "Disable"),
    "users.bind": ("更新区划", "Update regions"),
    "users.created": ("已创建用户 {username}。", "User {username} created."),
    "users.disabled_msg": ("已停用用户 {username}。", "User {username} disabled."),
    "users.bound": ("已更新 {username} 的负责区划。", "Regions of {username} updated."),
    "users.need_region": ("非管理员必须绑定至少一个区划。", "A user other than an admin needs at least one region."),
    "users.self": ("不能停用自己。", "You cannot disable yourself."),
    "users.disable_confirm_needed": ("停用用户须填写原因并勾选确认。", "Give a reason and tick the confirmation to disable a user."),
    "users.disable_confirm": ("确认停用该用户（其登录和设备令牌随即失效）", "Disable this user (their logins and device tokens stop working)"),
    "users.enable": ("重新启用", "Re-enable"),
    "users.enabled_msg": ("已重新启用用户 {username}。", "User {username} re-enabled."),
    "users.keep_tokens": ("保留其原有设备令牌（不勾选则全部撤销，须重新发放）", "Keep their device tokens (otherwise all are revoked and must be issued again)"),
    "users.not_disabled": ("用户 {username} 未被停用。", "User {username} is not disabled."),
    "users.region_pick": ("或从列表选择区划", "Or choose a region"),
    "users.region_none": ("（不选）", "(none)"),
    "nav.tokens": ("设备令牌", "Device tokens"),
    "tokens.title": ("采集设备令牌", "Collector device tokens"),
    "tokens.help": ("采集员用手机上的采集程序扫描二维码即可添加项目，无需输入密码。令牌只在发放时显示一次；手机丢失或人员调离时请撤销。",
                    "Collectors add the project in ODK Collect on their phone by scanning the QR code, with no "
                    "password. The token is shown only once, when issued; revoke it when a phone is lost or "
                    "the collector leaves."),
    "tokens.issue": ("发放令牌并生成二维码", "Issue a token and show its QR code"),
    "tokens.user": ("采集员", "Collector"),
    "tokens.project": ("项目", "Project"),
    "tokens.label": ("设备说明（如手机型号）", "Device label (e.g. the phone)"),
    "tokens.created": ("发放时间", "Issued"),
    "tokens.last_used": ("最近使用", "Last used"),
    "tokens.never": ("从未使用", "Never"),
    "tokens.state": ("状态", "State"),
    "tokens.active": ("有效", "Active"),
    "tokens.revoked": ("已撤销", "Revoked"),
    "tokens.revoke": ("撤销", "Revoke"),
    "tokens.revoke_confirm": ("确认撤销（该手机随即无法下载表单或提交数据）", "Revoke (the phone can no longer get forms or send data)"),
    "tokens.revoke_confirm_needed": ("撤销令牌须填写原因并勾选确认。", "Give a reason and tick the confirmation to revoke a token."),
    "tokens.revoked_msg": ("已撤销 {username} 的设备令牌 #{id}。", "Device token #{id} of {username} revoked."),
    "tokens.issued": ("已发放设备令牌 #{id}（项目：{project}）。请让采集员在手机采集程序中选择“添加项目 → 扫描二维码”扫描下方二维码。二维码只显示这一次。",
                      "Device token #{id} issued (project {project}). Have the collector scan the "
                      "QR code below in ODK Collect (add project → scan QR code). It is shown only this once."),
    "tokens.qr_alt": ("采集程序配置二维码", "ODK Collect settings QR code"),
    "tokens.server_url": ("服务器地址", "Server URL"),
    "tokens.loopback": ("注意：二维码中的地址是本机回环地址，手机无法访问。请在服务器配置中把以下设置项设为手机可访问的地址，或通过局域网地址打开本控制台后再发放：",
                        "Warning: the address in the QR code is this machine's loopback address, which a phone "
                        "cannot reach. Set the following setting to an address phones can reach, or open the "
                        "console by its LAN address before issuing:"),
    "tokens.app": ("采集程序", "Collection app"),
    "tokens.no_project": ("该用户没有可访问的项目（项目区划须与其负责区划重叠）。", "The user has no project they may work in (the project's region must overlap theirs)."),
    "tokens.no_users": ("没有启用的采集员账号。请先在“用户”页面新增角色为采集员的用户。", "No active collector accounts. Add a user with the collector role on the Users page first."),
    "tokens.empty": ("尚未发放设备令牌。", "No device tokens issued yet."),
    "tokens.download": ("下载二维码图片", "Download the QR code (PNG)"),
    "forms.title": ("表单", "Forms"),
    "forms.project": ("项目", "Project"),
    "forms.form_id": ("表单编号", "Form ID"),
    "forms.form_title": ("名称", "Title"),
    "forms.version": ("版本", "Version"),
    "forms.published": ("发布时间", "Published"),
    "forms.set_state": ("更改状态", "Change state"),
    "forms.changed": ("表单 {form} 已设为：{state}", "Form {form} set to: {state}"),
    "enc.title": ("手机端加密", "Encryption on the phone"),
    "enc.intro": ("启用后，采集员手机上填完的表单在发送前即被加密；服务器只在密钥解锁期间解密处理。口令丢失则数据无法解密。",
                  "Once on, forms finalised on the phones are encrypted before they are sent; the server decrypts "
                  "them only while the key is unlocked. Without the passphrase nothing can be decrypted."),
    "enc.waiting": ("待解密", "Waiting for decryption"),
    "enc.actions": ("操作", "Actions"),
    "enc.off": ("未加密", "Not encrypted"),
    "enc.locked_state": ("已加密，密钥已锁定", "Encrypted, key locked"),
    "enc.unlocked_until": ("密钥解锁至", "Key unlocked until"),
    "enc.passphrase": ("口令", "Passphrase"),
    "enc.confirm": ("再次输入口令", "Passphrase again"),
    "enc.minutes": ("解锁分钟数", "Minutes unlocked"),
    "enc.turn_on": ("启用加密", "Turn on encryption"),
    "enc.unlock": ("解锁", "Unlock"),
    "enc.lock": ("立即锁定", "Lock now"),
    "enc.mismatch": ("两次输入的口令不一致。", "The two passphrases differ."),
    "enc.encrypted": ("项目 {project} 已启用加密，重新发布了 {n} 个表单。", "Encryption is on for {project}; {n} forms republished."),
    "enc.unlocked": ("项目 {project} 的密钥已解锁至 {until}。", "The key of {project} is unlocked until {until}."),
    "enc.locked": ("项目 {project} 的密钥已锁定。", "The key of {project} is locked."),
    "formstate.open": ("开放", "Open"),
    "formstate.closing": ("停止下发（仍接收提交）", "Closing (still accepts submissions)"),
    "formstate.closed": ("已关闭", "Closed"),
    # household status (register)
    "status.registered": ("已登记", "Registered"),
    "status.identifying": ("识别中", "Being identified"),
    "status.monitored": ("监测帮扶中", "Monitored"),
    "status.not_admitted": ("不予纳入", "Not admitted"),
    "status.eliminated": ("风险已消除", "Risk eliminated"),
    "status.exited": ("已退出", "Exited"),
    "record.form_id": ("表单", "Form"),
    "record.form_version": ("表单版本", "Form version"),
    "record.instance_id": ("提交编号", "Instance ID"),
    "record.deprecated_id": ("上一提交编号", "Previous instance ID"),
    "record.entity_id": ("实体编号", "Entity ID"),
    "record.region_code": ("所在区划", "Region"),
    "record.group": ("村民小组", "Village group"),
    "record.address": ("地址", "Address"),
    "record.household_no": ("户编号", "Household number"),
    "record.head_name": ("户主姓名", "Head's name"),
    "record.head_id_number": ("户主证件号码", "Head's ID number"),
    "record.phone": ("联系电话", "Phone"),
    "record.household_type": ("户类型", "Household type"),
    "record.military_family": ("是否军烈属", "Military family"),
    "record.people_count": ("家庭人口数", "People"),
    "record.relocated_settlement": ("是否易地搬迁", "Relocated"),
    "record.settlement_address": ("安置地址", "Settlement address"),
    "record.whole_household_no_labour": ("整户无劳动能力", "No labour in the household"),
    "record.members": ("家庭成员", "Members"),
    "record.income": ("收入", "Income"),
    "record.spending": ("支出", "Spending"),
    "record.guarantees": ("两不愁三保障", "Guarantees"),
    "record.risks": ("风险类型", "Risks"),
    "record.exclusions": ("排除情形", "Exclusions"),
    "record.measures": ("帮扶措施", "Measures"),
    "record.authorization_photo": ("授权书照片", "Authorization photo"),
    "record.signature": ("签名", "Signature"),
    "record.evidence_photos": ("佐证照片", "Evidence photos"),
    "record.collector_name": ("采集员姓名", "Collector's name"),
    "record.survey_date": ("调查日期", "Survey date"),
    "record.elimination": ("风险消除", "Elimination"),
    "record.self_declaration": ("农户自主申报", "Self-declaration"),
    "field.changed": ("变更内容", "Changed"),
    "field.eligible": ("符合纳入条件", "Eligible"),
    "field.policy_year": ("政策年度", "Policy year"),
    "audit.system": ("系统", "System"),
    "field.via": ("途径", "Via"),
    "field.active": ("启用", "Active"),
    "field.reason": ("原因", "Reason"),
    "field.username": ("用户名", "Username"),
    "field.state": ("状态", "State"),
    "field.regions": ("区划", "Regions"),
    "field.kind": ("类别", "Kind"),
    "field.unlocked": ("已解除", "Unlocked"),
    "field.by": ("操作人", "By"),
    "field.name": ("名称", "Name"),
    "field.year": ("年度", "Year"),
    "field.user": ("用户", "User"),
    "field.updated": ("已更新", "Updated"),
    "field.spec": ("内容", "Contents"),
    "field.role": ("角色", "Role"),
    "field.must_change": ("须修改密码", "Must change password"),
    "field.must_change_password": ("须修改密码", "Must change password"),
    "field.household_id": ("农户编号", "Household"),
    "field.held_id": ("待审核提交编号", "Held submission"),
    "field.filename": ("文件名", "File name"),
    "field.created": ("新建", "Created"),
    "field.conflict": ("冲突", "Conflict"),
    "field.unscored": ("未评分", "Not scored"),
    "field.status": ("状态", "Status"),
    "field.source": ("来源", "Source"),
    "field.households": ("户数", "Households"),
    "field.category": ("监测类别", "Category"),
    "field.address": ("地址", "Address"),
    "field.why": ("原因", "Why"),
    "field.version": ("版本", "Version"),
    "field.transition": ("办理步骤", "Step"),
    "field.tokens_revoked": ("撤销的设备令牌", "Device tokens revoked"),
    "field.token": ("令牌", "Token"),
    "field.size": ("大小", "Size"),
    "field.scored_category": ("评分类别", "Scored category"),
    "field.rows": ("行数", "Rows"),
    "field.reprocessed": ("重新处理", "Reprocessed"),
    "field.record_region": ("登记区划", "Region in the record"),
    "field.project": ("项目", "Project"),
    "field.objection": ("异议", "Objection"),
    "field.note": ("备注", "Note"),
    "field.matched_by": ("匹配依据", "Matched by"),
    "field.label": ("设备说明", "Label"),
    "field.job_id": ("任务编号", "Job"),
    "field.issues": ("问题数", "Issues"),
    "field.full": ("全量", "Full"),
    "field.format": ("格式", "Format"),
    "field.fields": ("字段", "Fields"),
    "field.exclusion": ("排除情形", "Exclusion"),
    "field.data": ("数据", "Data"),
    "field.base_version": ("基于版本", "Based on version"),
    "field.plate": ("号牌号码", "Plate"),
    "field.vehicle_type": ("车辆类型", "Vehicle type"),
    "field.date": ("日期", "Date"),
    "field.amount": ("金额", "Amount"),
    "value.console": ("控制台", "console"),
    "value.api": ("接口", "API"),
    "value.cli": ("命令行", "command line"),
    "value.admin": ("管理员", "admin"),
    "jobs.msg.done": ("已完成", "Done"),
    "jobs.msg.re_scoring": ("正在重新评分", "Re-scoring"),
    "jobs.msg.rows": ("已读取 {rows} 行，匹配 {matches} 条", "{rows} rows read, {matches} matches"),
    "jobs.msg.other": ("处理中", "In progress"),
    "jobs.error_generic": ("任务未能完成，原因已记入服务器日志，请联系系统管理员。", "The job could not finish; the cause is in the server log."),
    # audit actions
    "audit.login": ("登录", "Logged in"),
    "audit.login.failed": ("登录失败", "Login failed"),
    "audit.logout": ("退出", "Logged out"),
    "audit.user.create": ("创建用户", "User created"),
    "audit.user.update": ("修改用户", "User changed"),
    "audit.user.unlock": ("解除登录锁定", "Login lock lifted"),
    "audit.user.password": ("修改密码", "Password changed"),
    "audit.user.regions": ("变更负责区划", "Regions changed"),
    "audit.token.issue": ("发放设备令牌", "Device token issued"),
    "audit.token.revoke": ("撤销设备令牌", "Device token revoked"),
    "audit.region.import": ("导入区划", "Regions imported"),
    "audit.household.create": ("建档", "Household registered"),
    "audit.household.version": ("更新信息", "New version"),
    "audit.household.conflict": ("版本冲突", "Version conflict"),
    "audit.assessment.create": ("评估", "Assessed"),
    "audit.case.open": ("启动程序", "Procedure started"),
    "audit.case.transition": ("办理步骤", "Step taken"),
    "audit.case.objection": ("公示异议", "Objection"),
    "audit.comparison.import": ("导入比对数据", "Comparison imported"),
    "audit.warning.decision": ("处理比对预警", "Warning decided"),
    "audit.job.enqueue": ("发起任务", "Job queued"),
    "audit.export": ("导出", "Export"),
}


def lang() -> str:
    """The language of the current request (``g.lang`` set by the blueprint), zh by default."""
    if has_request_context():
        return g.get("lang", "zh")
    return "zh"


def pick(zh: str, en: str) -> str:
    return en if lang() == "en" else zh


def t(key: str, **values) -> str:  # noqa: ANN003
    """The message ``key`` in the request's language, formatted with ``values``."""
    zh, en = MESSAGES[key]
    text = pick(zh, en)
    return text.format(**values) if values else text


def has(key: str) -> bool:
    return key in MESSAGES


def keyed(prefix: str, code: str | None) -> str:
    """``t(prefix + "." + code)`` when such a message exists, else the bare code."""
    if code is None:
        return ""
    key = f"{prefix}.{code}"
    return t(key) if key in MESSAGES else code


def code_label(list_name: str, code: str | None) -> str:
    """The zh/en label of a ``scoring.codes`` value (the bare code when unknown)."""
    from scoring import codes

    if code in (None, ""):
        return ""
    try:
        item = codes.code_list(list_name).get(code)
    except KeyError:
        return str(code)
    return pick(item.zh, item.en)


def role_label(role: str) -> str:
    from server.roles import ROLE_LABELS

    labels = ROLE_LABELS.get(role)
    return pick(labels["zh"], labels["en"]) if labels else role


def procedure_label(name: str) -> str:
    from server.workflow import PROCEDURES

    proc = PROCEDURES.get(name)
    return pick(proc.zh, proc.en) if proc else name


def state_label(procedure: str, state: str) -> str:
    from server.workflow import PROCEDURES

    proc = PROCEDURES.get(procedure)
    if proc is None or state not in proc.states:
        return state
    return pick(*proc.states[state])


def transition_label(procedure: str, name: str) -> str:
    from server.workflow import PROCEDURES

    proc = PROCEDURES.get(procedure)
    try:
        item = proc.transition(name) if proc else None
    except KeyError:
        item = None
    return pick(item.zh, item.en) if item else name


def deadline_label(code: str) -> str:
    from server.workflow import PROCEDURES

    for proc in PROCEDURES.values():
        for rule in proc.deadlines:
            if rule.code == code:
                return pick(rule.zh, rule.en)
    return code


def entry_label(code: str | None) -> str:
    from server.workflow import ENTRY_CHANNELS

    labels = ENTRY_CHANNELS.get(code or "")
    return pick(*labels) if labels else (code or "")


def field_label(name: str) -> str:
    from server.workflow.definitions import RECORD_FIELDS

    labels = RECORD_FIELDS.get(name)
    return pick(*labels) if labels else name


JINJA_HELPERS = {"t": t, "keyed": keyed, "code_label": code_label, "role_label": role_label,
                 "procedure_label": procedure_label, "state_label": state_label,
                 "transition_label": transition_label, "deadline_label": deadline_label,
                 "field_label": field_label, "entry_label": entry_label, "lang": lang}
