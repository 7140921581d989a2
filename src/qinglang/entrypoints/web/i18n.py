"""The console's words in Chinese and English. `t(key, lang)`; a missing key is a bug (the test renders every page in both)."""

from __future__ import annotations

from qinglang.domain.vocab import CATEGORY_LABELS_ZH, Category

LANGS = ("zh", "en")

WORDS: dict[str, tuple[str, str]] = {
    "app": ("清朗 · 重点账号治理", "qinglang · head-account governance"),
    "dashboard": ("工作台", "Dashboard"),
    "queue": ("审核队列", "Review queue"),
    "appeals": ("申诉", "Appeals"),
    "audit": ("审计日志", "Audit log"),
    "reports": ("报告", "Reports"),
    "users": ("用户", "Users"),
    "login": ("登录", "Sign in"),
    "logout": ("退出", "Sign out"),
    "token": ("API 令牌", "API token"),
    "login_help": ("请输入管理员为您签发的 API 令牌（qinglang users add 名称 --role 角色）。",
                   "Paste the API token an administrator issued you (qinglang users add NAME --role ROLE)."),
    "bad_token": ("令牌无效", "That token is not valid"),
    "forbidden": ("无权执行此操作", "You may not do this"),
    "not_found": ("未找到", "Not found"),
    "conflict": ("无法执行", "Cannot do this now"),
    "bad_input": ("输入有误", "Bad input"),
    "back": ("返回", "Back"),
    "open_cases": ("待处理案件", "Open cases"),
    "claimed_cases": ("处理中", "Claimed"),
    "resolved_cases": ("已办结", "Resolved"),
    "second_review": ("待复核", "Awaiting second review"),
    "overdue": ("超期（SLA）", "Overdue (SLA breaches)"),
    "my_cases": ("我的案件", "My cases"),
    "pending_appeals": ("待处理申诉", "Pending appeals"),
    "open_complaints": ("待办举报", "Open complaints"),
    "by_category_severity": ("按类别与严重程度", "Open cases by category and severity"),
    "trend_30": ("近30天趋势", "Last 30 days"),
    "opened": ("新增", "Opened"),
    "decided": ("办结", "Decided"),
    "sanctioned": ("处置", "Sanctioned"),
    "sanctions_by_action": ("处置方式", "Sanctions by action"),
    "overdue_cases": ("超期案件", "Overdue cases"),
    "claim_next": ("领取下一件 (n)", "Claim next (n)"),
    "claim": ("领取", "Claim"),
    "release": ("退回队列", "Release"),
    "case": ("案件", "Case"),
    "account": ("账号", "Account"),
    "category": ("类别", "Category"),
    "severity": ("严重程度", "Severity"),
    "tier": ("层级", "Tier"),
    "status": ("状态", "Status"),
    "stage": ("阶段", "Stage"),
    "priority": ("优先级", "Priority"),
    "due": ("期限", "Due"),
    "claimed_by": ("处理人", "Claimed by"),
    "score": ("置信度", "Score"),
    "suggested": ("建议处置", "Suggested"),
    "decide": ("作出决定", "Decide"),
    "decision": ("决定", "Decision"),
    "reason": ("理由", "Reason"),
    "days": ("天数", "Days"),
    "ban_days": ("禁止重新注册天数（0为永久）", "Re-registration ban days (0 = permanent)"),
    "submit": ("提交 (Ctrl+Enter)", "Submit (Ctrl+Enter)"),
    "confirm": ("同意 (y)", "Confirm (y)"),
    "reject": ("驳回 (r)", "Reject (r)"),
    "second_review_help": ("该决定需双人审核：请复核第一审核人的决定。", "This decision needs two humans: confirm or reject the first reviewer's decision."),
    "proposal": ("第一审核人的决定", "First reviewer's decision"),
    "evidence": ("证据", "Evidence"),
    "content_evidence": ("违规内容（命中片段高亮）", "Offending posts (matched spans highlighted)"),
    "reincarnation_evidence": ("转世账号比对", "Reincarnation: both accounts compared"),
    "fakefans_evidence": ("粉丝审计", "Audience audit"),
    "other_evidence": ("其他证据", "Other evidence"),
    "new_account": ("新账号", "New account"),
    "banned_account": ("已关闭账号", "Closed account"),
    "nickname": ("昵称", "Nickname"),
    "avatar": ("头像指纹", "Avatar hash"),
    "created_at": ("注册时间", "Registered"),
    "bio": ("简介", "Bio"),
    "followers": ("粉丝数", "Followers"),
    "identities": ("身份标识（仅显示数量与是否相同）", "Identities (counts and shared only)"),
    "kind": ("类型", "Kind"),
    "shared": ("相同", "Shared"),
    "waterfall": ("匹配权重瀑布图", "Match-weight waterfall"),
    "match_probability": ("匹配概率", "Match probability"),
    "bits_differ": ("位不同", "bits differ"),
    "ban_expired": ("禁令已到期", "ban expired"),
    "fake_share": ("虚假粉丝占比", "Fake share"),
    "quality": ("粉丝质量分", "Audience quality"),
    "growth": ("粉丝增长（阴影为异常涨粉）", "Follower growth (bursts shaded)"),
    "histogram": ("虚假概率分布", "Fake-probability distribution"),
    "scatter": ("关注顺序与注册时间", "Follow order vs follower registration"),
    "bursts": ("异常涨粉时段", "Follower bursts"),
    "lockstep": ("同步操控账号群", "Lockstep groups"),
    "notes": ("备注", "Notes"),
    "add_note": ("添加备注", "Add note"),
    "history": ("操作记录", "History"),
    "complaints": ("举报", "Complaints"),
    "sanctions": ("处置记录", "Sanctions"),
    "dossier": ("账号档案", "Account dossier"),
    "standing": ("信用与违规记分", "Standing"),
    "credit": ("信用分", "Credit score"),
    "strike_points": ("有效记分", "Active strike points"),
    "limits": ("生效中的限制", "Limits in force"),
    "bans": ("重新注册禁令", "Re-registration bans"),
    "cases": ("案件", "Cases"),
    "linked": ("关联账号", "Linked accounts"),
    "prior": ("此前处置（快照）", "Earlier sanctions (snapshot)"),
    "run_audit": ("查看粉丝审计", "Open the audience audit"),
    "chain_ok": ("审计链完整", "Audit chain intact"),
    "chain_broken": ("审计链被篡改", "Audit chain BROKEN"),
    "entries": ("条记录", "entries"),
    "first_bad": ("首个异常记录", "First bad entry"),
    "actor": ("操作人", "Actor"),
    "action": ("操作", "Action"),
    "entity": ("对象", "Entity"),
    "time": ("时间", "Time"),
    "automated": ("自动", "Automated"),
    "filter": ("筛选", "Filter"),
    "older": ("更早", "Older"),
    "newer": ("最新", "Newest"),
    "from": ("起始", "From"),
    "to": ("截止（不含）", "To (exclusive)"),
    "period": ("周期", "Period"),
    "generate": ("生成", "Generate"),
    "download": ("下载", "Download"),
    "headline": ("总体情况", "Overview"),
    "trend_vs_prev": ("与上期比较", "Against the previous period"),
    "current": ("本期", "Current"),
    "previous": ("上期", "Previous"),
    "change": ("变化", "Change"),
    "typical_cases": ("典型案例", "Typical cases"),
    "overturned": ("已撤销的处置", "Overturned sanctions"),
    "appeal": ("申诉", "Appeal"),
    "filed": ("提交时间", "Filed"),
    "outcome": ("结论", "Outcome"),
    "upheld": ("维持", "Upheld"),
    "overturn": ("改判撤销", "Overturned"),
    "sanction": ("处置", "Sanction"),
    "statement": ("申诉理由", "Statement"),
    "nothing": ("暂无", "Nothing here"),
    "keyboard_help": ("快捷键：j/k 上下移动，Enter 打开，n 领取下一件；案件页 1–7 选择决定，Ctrl+Enter 提交。",
                      "Keys: j/k move, Enter opens, n claims the next case; on a case 1–7 pick a decision, Ctrl+Enter submits."),
    "role": ("角色", "Role"),
    "add_user": ("新建用户", "Add user"),
    "name": ("名称", "Name"),
    "revoke": ("吊销令牌", "Revoke tokens"),
    "new_token_once": ("新令牌（仅显示一次）", "New token (shown once)"),
    "tokens": ("令牌", "Tokens"),
    "lang_switch": ("English", "中文"),
    "all": ("全部", "All"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "post": ("帖子", "Post"),
    "not_in_lake": ("原帖不在数据中", "post not in the data"),
    "members": ("成员数", "Members"),
    "window": ("时段", "Window"),
    "synchrony": ("同步度", "Synchrony"),
    "components": ("构成", "Components"),
    "top_fakes": ("最可疑的粉丝", "Most likely fake followers"),
    "ci": ("95%置信区间", "95% interval"),
    "claimed_ok": ("已领取", "Claimed"),
    "decided_ok": ("已提交决定", "Decision recorded"),
    "released_ok": ("已退回队列", "Released"),
    "noted_ok": ("已添加备注", "Note added"),
    "queue_empty": ("队列中暂无可领取的案件", "Nothing in the queue for you"),
    "verified": ("认证", "Verified"),
    "closed": ("已关闭", "closed"),
    "permanent": ("永久", "permanent"),
    "disabled": ("已停用", "disabled"),
    "before_after": ("变更前 / 变更后", "before / after"),
    "rows": ("分类数据", "Rows"),
    "signal": ("信号", "Signal"),
    "level": ("比对结果", "Level"),
    "weight": ("权重", "Weight"),
}

SEVERITY = {"low": ("低", "low"), "medium": ("中", "medium"), "high": ("高", "high"), "critical": ("严重", "critical")}
STATUS = {"open": ("待处理", "open"), "claimed": ("处理中", "claimed"), "resolved": ("已办结", "resolved"),
          "pending": ("待处理", "pending"), "decided": ("已决定", "decided"), "received": ("已受理", "received"),
          "handled": ("已办结", "handled"), "active": ("生效中", "active"), "expired": ("已到期", "expired"),
          "reversed": ("已撤销", "reversed")}
STAGE = {"review": ("初审", "review"), "second_review": ("复核", "second review")}
TIER = {"head": ("头部", "head"), "large": ("大型", "large"), "regular": ("普通", "regular")}
DECISIONS = {"dismiss": ("不予处置", "dismiss"), "guidance": ("提醒指导", "guidance"), "warning": ("警示", "warning"),
             "limit": ("限制功能", "limit"), "suspend": ("暂停更新", "suspend"), "close": ("关闭账号", "close"),
             "suggested": ("按建议处置", "as suggested")}
OUTCOMES = {"sanctioned": ("已处置", "sanctioned"), "guidance": ("提醒指导", "guidance"),
            "dismissed": ("不予处置", "dismissed"), "upheld": ("维持", "upheld"), "overturned": ("改判撤销", "overturned")}
ROLES = {"analyst": ("分析师", "analyst"), "reviewer": ("审核员", "reviewer"),
         "senior_reviewer": ("高级审核员", "senior reviewer"), "admin": ("管理员", "admin"),
         "auditor": ("监督检查（只读）", "auditor (read-only)")}
TABLES = {"severity": SEVERITY, "status": STATUS, "stage": STAGE, "tier": TIER, "decision": DECISIONS,
          "outcome": OUTCOMES, "role": ROLES}


def t(key: str, lang: str) -> str:
    zh, en = WORDS[key]
    return zh if lang == "zh" else en


def v(kind: str, value, lang: str) -> str:
    """A value of a closed vocabulary in the language (unknown values as they are)."""
    if value is None or value == "":
        return "—"
    if kind == "category":
        if value in {c.value for c in Category}:
            return CATEGORY_LABELS_ZH[Category(value)] if lang == "zh" else str(value).replace("_", " ")
        return str(value)
    pair = TABLES[kind].get(str(value))
    if pair is None:
        return str(value)
    return pair[0] if lang == "zh" else pair[1]


def pick_lang(cookie: str | None, query: str | None, accept: str | None, default: str) -> str:
    for cand in (query, cookie):
        if cand in LANGS:
            return cand
    if accept:
        first = accept.split(",")[0].strip().lower()
        if first.startswith("zh"):
            return "zh"
        if first.startswith("en"):
            return "en"
    return default if default in LANGS else "zh"
