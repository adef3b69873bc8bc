//! The exfiltration rules' identities (see the module doc for what each
//! one measures).

use crate::alert::{Category, Rule};

pub const RULE_BUDGET: Rule = Rule {
    id: "CAMSENTRY-EXFIL-1",
    signature_id: 9_100_301,
    name: "Camera upload exceeded its budget",
    category: Category::Exfil,
    action: "bulk-upload",
    severity: 1,
};

pub const RULE_BASELINE: Rule = Rule {
    id: "CAMSENTRY-EXFIL-2",
    signature_id: 9_100_302,
    name: "Camera upload far above its learned baseline",
    category: Category::Exfil,
    action: "bulk-upload",
    severity: 2,
};

pub const RULE_SLOW: Rule = Rule {
    id: "CAMSENTRY-EXFIL-3",
    signature_id: 9_100_303,
    name: "Camera uploaded steadily to an unlisted destination over a long window",
    category: Category::Exfil,
    action: "slow-upload",
    severity: 2,
};
