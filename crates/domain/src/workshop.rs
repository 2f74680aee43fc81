//! The workshop: stages counted in quantities (docs/workshop.md, "Stages and the production
//! ledger", "QA and rework").
//!
//! A project's stages are an ordered list (a copy of the company's list, itself
//! [`DEFAULT_STAGES`] until an administrator changes it). The ledger (`workshop_moves`,
//! DESIGN.md §10) moves a quantity of one released scope item between *positions*: a stage
//! (the quantity has been through it) or "released, not started" (`None`). "12 more through
//! assembly" is a move from the position before assembly to assembly. What is at a position
//! is what moved in minus what moved out (plus, for "not started", the released quantity);
//! [`check_move`] refuses a move that would take its source position below zero, or leave
//! the packed stage holding less than was dispatched, in words that say what is left.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::errors::{FieldErrors, has_refused_chars};
use crate::scope::Quantity;

/// Longest stage key and name accepted.
pub const KEY_MAX: usize = 40;
pub const NAME_MAX: usize = 80;
/// Most stages in a list.
pub const STAGES_MAX: usize = 30;
/// Longest note on a move or a QA check.
pub const NOTE_MAX: usize = 2000;

/// What a stage is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// A stage of work (cutting, assembly, …).
    Work,
    /// Where QA checks are recorded (at most one per list).
    Qa,
    /// Packed, ready to dispatch (exactly one per list, the last).
    Packed,
}

impl StageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Work => "work",
            StageKind::Qa => "qa",
            StageKind::Packed => "packed",
        }
    }

    pub fn parse(s: &str) -> Option<StageKind> {
        match s {
            "work" => Some(StageKind::Work),
            "qa" => Some(StageKind::Qa),
            "packed" => Some(StageKind::Packed),
            _ => None,
        }
    }
}

/// A stage of a list as it is written (the company's template or a project's list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageInput {
    /// Stable key, unique in the list: lower-case letters, digits and `_` (e.g.
    /// `edge_banding`). A project's stage keeps its key; it is how a changed list finds it.
    #[schema(max_length = 40, pattern = r"^[a-z][a-z0-9_]*$", example = "assembly")]
    pub key: String,
    /// The name people read, unique in the list.
    #[schema(max_length = 80, example = "Assembly")]
    pub name: String,
    pub kind: StageKind,
}

/// The built-in stages, used while the company's list is empty.
pub const DEFAULT_STAGES: [(&str, &str, StageKind); 7] = [
    ("cutting", "Cutting", StageKind::Work),
    ("edge_banding", "Edge-banding", StageKind::Work),
    ("machining", "Machining (CNC)", StageKind::Work),
    ("assembly", "Assembly", StageKind::Work),
    ("finishing", "Finishing", StageKind::Work),
    ("qa", "QA", StageKind::Qa),
    ("packed", "Packed", StageKind::Packed),
];

/// [`DEFAULT_STAGES`] as a list to write.
pub fn default_stages() -> Vec<StageInput> {
    DEFAULT_STAGES
        .iter()
        .map(|(key, name, kind)| StageInput {
            key: (*key).to_owned(),
            name: (*name).to_owned(),
            kind: *kind,
        })
        .collect()
}

/// Checks a list of stages, trimming names: in order, keys well-formed and unique, names
/// non-empty and unique (ignoring case), at most one QA stage, exactly one packed stage and
/// it is the last (dispatch takes from it). Errors name the field `stages[i].name` etc.
pub fn check_stage_list(stages: &mut [StageInput]) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    if stages.is_empty() {
        errors.add("stages", "must hold at least the packed stage");
        return Err(errors);
    }
    if stages.len() > STAGES_MAX {
        errors.add("stages", format!("must be at most {STAGES_MAX} stages"));
    }
    let mut keys: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for (i, s) in stages.iter_mut().enumerate() {
        s.key = s.key.trim().to_owned();
        s.name = s.name.trim().to_owned();
        let good_key = s.key.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && s.key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && s.key.len() <= KEY_MAX;
        if !good_key {
            errors.add(
                &format!("stages[{i}].key"),
                format!(
                    "must be 1–{KEY_MAX} lower-case letters, digits or _, starting with a letter"
                ),
            );
        } else if keys.contains(&s.key) {
            errors.add(
                &format!("stages[{i}].key"),
                format!("{} is used twice", s.key),
            );
        }
        keys.push(s.key.clone());
        if s.name.is_empty() {
            errors.add(&format!("stages[{i}].name"), "is required");
        } else if s.name.chars().count() > NAME_MAX {
            errors.add(
                &format!("stages[{i}].name"),
                format!("must be at most {NAME_MAX} characters"),
            );
        } else if has_refused_chars(&s.name) {
            errors.add(
                &format!("stages[{i}].name"),
                crate::errors::CONTROL_CHARACTERS,
            );
        } else if names.contains(&s.name.to_lowercase()) {
            errors.add(
                &format!("stages[{i}].name"),
                format!("{} is used twice", s.name),
            );
        }
        names.push(s.name.to_lowercase());
    }
    let qa = stages.iter().filter(|s| s.kind == StageKind::Qa).count();
    if qa > 1 {
        errors.add("stages", "may hold at most one QA stage");
    }
    let packed = stages
        .iter()
        .filter(|s| s.kind == StageKind::Packed)
        .count();
    let last_packed = stages.last().is_some_and(|s| s.kind == StageKind::Packed);
    if packed != 1 || !last_packed {
        errors.add(
            "stages",
            "must hold exactly one packed stage, and it must be the last",
        );
    }
    if qa == 1 && stages.first().is_some_and(|s| s.kind == StageKind::Qa) {
        errors.add(
            "stages",
            "the QA stage needs a stage before it (a failure goes back to one)",
        );
    }
    errors.into_result()
}

/// One of a project's stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Stage {
    pub id: Uuid,
    pub project_id: Uuid,
    pub key: String,
    pub name: String,
    pub kind: StageKind,
    /// Order in the list, 0-based (archived stages keep theirs).
    pub position: i64,
    /// Taken off the list after it held quantities (kept for the ledger's history).
    pub archived: bool,
    pub version: i64,
}

/// A stage of the company's list (the template new projects copy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StageTemplate {
    pub key: String,
    pub name: String,
    pub kind: StageKind,
    pub position: i64,
}

/// Why a row is in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MoveKind {
    /// Through the next stage (a QA pass too, with its check).
    Forward,
    /// Sent back by a failed QA check to before the chosen stage.
    Rework,
    /// Reverses an earlier move made by mistake.
    Undo,
}

impl MoveKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MoveKind::Forward => "forward",
            MoveKind::Rework => "rework",
            MoveKind::Undo => "undo",
        }
    }

    pub fn parse(s: &str) -> Option<MoveKind> {
        match s {
            "forward" => Some(MoveKind::Forward),
            "rework" => Some(MoveKind::Rework),
            "undo" => Some(MoveKind::Undo),
            _ => None,
        }
    }
}

/// A ledger row about to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMove {
    pub id: Uuid,
    pub project_id: Uuid,
    pub scope_item_id: Uuid,
    /// The position it leaves (`None`: released, not started).
    pub from_stage_id: Option<Uuid>,
    /// The position it reaches.
    pub to_stage_id: Option<Uuid>,
    /// More than 0.
    pub quantity: Quantity,
    pub kind: MoveKind,
    pub qa_check_id: Option<Uuid>,
    pub reverses_id: Option<Uuid>,
    pub note: Option<String>,
    pub moved_by: Option<Uuid>,
    pub moved_at: OffsetDateTime,
}

/// QA's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QaResult {
    Pass,
    Fail,
}

impl QaResult {
    pub fn as_str(self) -> &'static str {
        match self {
            QaResult::Pass => "pass",
            QaResult::Fail => "fail",
        }
    }

    pub fn parse(s: &str) -> Option<QaResult> {
        match s {
            "pass" => Some(QaResult::Pass),
            "fail" => Some(QaResult::Fail),
            _ => None,
        }
    }
}

/// A QA check about to be written (with the one ledger row it makes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQaCheck {
    pub id: Uuid,
    pub project_id: Uuid,
    pub scope_item_id: Uuid,
    /// The QA stage.
    pub stage_id: Uuid,
    pub quantity: Quantity,
    pub result: QaResult,
    /// A fail's chosen stage (the quantity goes back to before it).
    pub rework_stage_id: Option<Uuid>,
    pub notes: Option<String>,
    pub checked_by: Option<Uuid>,
    pub checked_at: OffsetDateTime,
}

/// One row of the ledger, as the team reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WorkshopMove {
    pub id: Uuid,
    pub project_id: Uuid,
    pub scope_item_id: Uuid,
    pub item_code: String,
    /// The position it left (`null`: released, not started).
    pub from_stage_id: Option<Uuid>,
    pub from_stage_name: Option<String>,
    /// The position it reached (`null`: back to not started).
    pub to_stage_id: Option<Uuid>,
    pub to_stage_name: Option<String>,
    pub quantity: Quantity,
    pub kind: MoveKind,
    /// The QA check that made it (a pass, or a fail's rework).
    pub qa_check_id: Option<Uuid>,
    /// The move this one undoes.
    pub reverses_id: Option<Uuid>,
    /// The move that undid this one (a move is undone at most once).
    pub reversed_by_id: Option<Uuid>,
    pub note: Option<String>,
    pub moved_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub moved_at: OffsetDateTime,
}

impl WorkshopMove {
    /// Whether it can still be undone: a forward move not made by a QA check, not undone
    /// yet (an undo is not undone; a new move is made instead).
    pub fn undoable(&self) -> bool {
        self.kind == MoveKind::Forward
            && self.qa_check_id.is_none()
            && self.reversed_by_id.is_none()
    }
}

/// A QA check as the team reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct QaCheck {
    pub id: Uuid,
    pub project_id: Uuid,
    pub scope_item_id: Uuid,
    pub item_code: String,
    pub stage_id: Uuid,
    pub quantity: Quantity,
    pub result: QaResult,
    /// A fail's chosen stage: the quantity went back to before it.
    pub rework_stage_id: Option<Uuid>,
    pub rework_stage_name: Option<String>,
    pub notes: Option<String>,
    pub checked_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub checked_at: OffsetDateTime,
    /// Photos taken with it.
    pub photos: Vec<crate::attachment::Attachment>,
}

/// The stages that take part in new moves: not archived, in order.
pub fn active(stages: &[Stage]) -> Vec<&Stage> {
    let mut v: Vec<&Stage> = stages.iter().filter(|s| !s.archived).collect();
    v.sort_by_key(|s| s.position);
    v
}

/// The position before `stage` among the active stages: the stage before it, or "not
/// started" (`None`) for the first; the outer `None` when the stage is not an active one.
pub fn previous(stages: &[Stage], stage: Uuid) -> Option<Option<Uuid>> {
    let list = active(stages);
    let i = list.iter().position(|s| s.id == stage)?;
    Some(if i == 0 { None } else { Some(list[i - 1].id) })
}

/// A position's name in sentences.
pub fn position_name(stages: &[Stage], position: Option<Uuid>) -> String {
    match position {
        None => "released, not started".to_owned(),
        Some(id) => stages
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| "an unknown stage".to_owned(), |s| s.name.to_lowercase()),
    }
}

/// One ledger row, summed: what moved from a position to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    pub from: Option<Uuid>,
    pub to: Option<Uuid>,
    pub quantity: Quantity,
}

/// What is at each position of an item: the released quantity (0 when not released) at
/// "not started", plus what moved in, minus what moved out.
pub fn balance_at(released: Quantity, flows: &[Flow], position: Option<Uuid>) -> Quantity {
    let mut q = if position.is_none() { released.0 } else { 0 };
    for f in flows {
        if f.to == position {
            q += f.quantity.0;
        }
        if f.from == position {
            q -= f.quantity.0;
        }
    }
    Quantity(q)
}

/// An item's state in the workshop, as a move is checked against it.
#[derive(Debug, Clone)]
pub struct ItemLedger<'a> {
    pub item_code: &'a str,
    /// 0 when the item is not released.
    pub released: Quantity,
    pub stages: &'a [Stage],
    pub flows: &'a [Flow],
    /// Taken from the packed stage by delivery notes on their way or received.
    pub dispatched: Quantity,
}

impl ItemLedger<'_> {
    pub fn at(&self, position: Option<Uuid>) -> Quantity {
        balance_at(self.released, self.flows, position)
    }

    /// What has been through `stage` (is at it or at a later active stage), with what
    /// left the packed stage on delivery notes.
    pub fn through(&self, stage: Uuid) -> Quantity {
        let list = active(self.stages);
        let Some(i) = list.iter().position(|s| s.id == stage) else {
            return self.at(Some(stage));
        };
        Quantity(list[i..].iter().map(|s| self.at(Some(s.id)).0).sum())
    }

    fn packed(&self) -> Option<&Stage> {
        self.stages.iter().find(|s| s.kind == StageKind::Packed)
    }
}

/// Why a move is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

fn refuse(code: &'static str, message: String) -> Refusal {
    Refusal { code, message }
}

/// Checks a move against an item's ledger: the item is released, the quantity is more
/// than 0, the position it leaves holds it, and the packed stage keeps at least what was
/// dispatched from it.
pub fn check_move(l: &ItemLedger<'_>, m: &NewMove) -> Result<(), Refusal> {
    if l.released.0 <= 0 {
        return Err(refuse(
            "not_released",
            format!(
                "{} is not released to production yet; only released items move through the workshop",
                l.item_code
            ),
        ));
    }
    if m.quantity.0 <= 0 {
        return Err(refuse("bad_quantity", "must be more than 0".to_owned()));
    }
    let at = l.at(m.from_stage_id);
    let total = l.released;
    if m.quantity > at {
        let to = position_name(l.stages, m.to_stage_id);
        let message = match (m.kind, m.from_stage_id) {
            (MoveKind::Forward, None) => format!(
                "only {at} of {total} are released and not started; {at} can go through {to}"
            ),
            (MoveKind::Forward, Some(from)) => format!(
                "only {} of {total} are through {}; {at} can go through {to}",
                l.through(from),
                position_name(l.stages, Some(from)),
            ),
            (MoveKind::Rework, _) => {
                format!("only {at} of {total} are waiting for QA; {at} can be sent back")
            }
            (MoveKind::Undo, _) => format!(
                "only {at} of {total} are at {} now; the move of {} cannot be undone",
                position_name(l.stages, m.from_stage_id),
                m.quantity
            ),
        };
        return Err(refuse("not_enough_here", message));
    }
    if let (Some(packed), Some(from)) = (l.packed(), m.from_stage_id)
        && packed.id == from
    {
        let left = Quantity(at.0 - m.quantity.0);
        if left < l.dispatched {
            return Err(refuse(
                "dispatched",
                format!(
                    "{} of the {at} packed are on delivery notes; only {} can leave the packed stage",
                    l.dispatched,
                    Quantity((at.0 - l.dispatched.0).max(0))
                ),
            ));
        }
    }
    Ok(())
}

/// What is at one position of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PositionQuantity {
    /// The stage (`null`: released, not started).
    pub stage_id: Option<Uuid>,
    pub stage_key: Option<String>,
    pub quantity: Quantity,
}

/// An item's quantities per position (for the board, delivery and progress).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ItemPositions {
    pub scope_item_id: Uuid,
    /// The released quantity (the item's quantity once released, else 0).
    pub released: Quantity,
    /// "Not started" first, then each stage in order (archived ones only when they hold
    /// something).
    pub positions: Vec<PositionQuantity>,
    /// At the packed stage (dispatched quantities included until they leave it).
    pub packed: Quantity,
    /// Taken from the packed stage by delivery notes dispatched or received.
    pub dispatched: Quantity,
}

/// Builds an item's quantities per position from its ledger.
pub fn positions_of(
    scope_item_id: Uuid,
    released: Quantity,
    stages: &[Stage],
    flows: &[Flow],
    dispatched: Quantity,
) -> ItemPositions {
    let mut positions = vec![PositionQuantity {
        stage_id: None,
        stage_key: None,
        quantity: balance_at(released, flows, None),
    }];
    let mut sorted: Vec<&Stage> = stages.iter().collect();
    sorted.sort_by_key(|s| s.position);
    let mut packed = Quantity(0);
    for s in sorted {
        let q = balance_at(released, flows, Some(s.id));
        if s.kind == StageKind::Packed {
            packed = q;
        }
        if s.archived && q.0 == 0 {
            continue;
        }
        positions.push(PositionQuantity {
            stage_id: Some(s.id),
            stage_key: Some(s.key.clone()),
            quantity: q,
        });
    }
    ItemPositions {
        scope_item_id,
        released,
        positions,
        packed,
        dispatched,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stages() -> Vec<Stage> {
        DEFAULT_STAGES
            .iter()
            .enumerate()
            .map(|(i, (k, n, kind))| Stage {
                id: Uuid::from_u128(i as u128 + 1),
                project_id: Uuid::nil(),
                key: (*k).into(),
                name: (*n).into(),
                kind: *kind,
                position: i as i64,
                archived: false,
                version: 1,
            })
            .collect()
    }

    fn mv(from: Option<u128>, to: Option<u128>, units: i64, kind: MoveKind) -> NewMove {
        NewMove {
            id: Uuid::nil(),
            project_id: Uuid::nil(),
            scope_item_id: Uuid::nil(),
            from_stage_id: from.map(Uuid::from_u128),
            to_stage_id: to.map(Uuid::from_u128),
            quantity: Quantity::units(units),
            kind,
            qa_check_id: None,
            reverses_id: None,
            note: None,
            moved_by: None,
            moved_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn flow(from: Option<u128>, to: Option<u128>, units: i64) -> Flow {
        Flow {
            from: from.map(Uuid::from_u128),
            to: to.map(Uuid::from_u128),
            quantity: Quantity::units(units),
        }
    }

    #[test]
    fn the_defaults_are_a_good_list() {
        let mut d = default_stages();
        assert_eq!(d.len(), 7);
        assert!(check_stage_list(&mut d).is_ok());
    }

    #[test]
    fn a_list_has_one_packed_stage_last_and_at_most_one_qa() {
        let mut d = default_stages();
        d.swap(5, 6);
        assert!(check_stage_list(&mut d).is_err());
        let mut d = default_stages();
        d[0].kind = StageKind::Qa;
        let e = check_stage_list(&mut d).unwrap_err();
        assert!(e.get("stages").unwrap().contains("one QA"));
        let mut d = default_stages();
        d[1].name = " cutting ".into();
        let e = check_stage_list(&mut d).unwrap_err();
        assert_eq!(e.get("stages[1].name"), Some("cutting is used twice"));
        let mut d = default_stages();
        d[2].key = "CNC".into();
        assert!(
            check_stage_list(&mut d)
                .unwrap_err()
                .get("stages[2].key")
                .is_some()
        );
        let mut d = default_stages();
        d[3].name = "  ".into();
        assert_eq!(
            check_stage_list(&mut d).unwrap_err().get("stages[3].name"),
            Some("is required")
        );
        assert!(check_stage_list(&mut []).is_err());
        let mut only_packed = vec![default_stages().pop().unwrap()];
        assert!(check_stage_list(&mut only_packed).is_ok());
    }

    #[test]
    fn a_quantity_cannot_pass_a_stage_it_has_not_reached() {
        let s = stages();
        // 12 released; 8 through cutting … 4 through assembly.
        let flows = [
            flow(None, Some(1), 8),
            flow(Some(1), Some(2), 6),
            flow(Some(2), Some(3), 5),
            flow(Some(3), Some(4), 4),
        ];
        let l = ItemLedger {
            item_code: "WSC-M-001",
            released: Quantity::units(12),
            stages: &s,
            flows: &flows,
            dispatched: Quantity(0),
        };
        assert_eq!(l.at(None), Quantity::units(4));
        assert_eq!(l.at(Some(Uuid::from_u128(4))), Quantity::units(4));
        assert!(check_move(&l, &mv(Some(4), Some(5), 4, MoveKind::Forward)).is_ok());
        let e = check_move(&l, &mv(Some(4), Some(5), 5, MoveKind::Forward)).unwrap_err();
        assert_eq!(
            e.message,
            "only 4 of 12 are through assembly; 4 can go through finishing"
        );
        let e = check_move(&l, &mv(None, Some(1), 5, MoveKind::Forward)).unwrap_err();
        assert_eq!(
            e.message,
            "only 4 of 12 are released and not started; 4 can go through cutting"
        );
        let unreleased = ItemLedger {
            released: Quantity(0),
            ..l.clone()
        };
        assert_eq!(
            check_move(&unreleased, &mv(None, Some(1), 1, MoveKind::Forward))
                .unwrap_err()
                .code,
            "not_released"
        );
    }

    #[test]
    fn the_packed_stage_keeps_what_was_dispatched() {
        let s = stages();
        let flows = [
            flow(None, Some(7), 5), // (a shortcut, for the test)
        ];
        let l = ItemLedger {
            item_code: "X",
            released: Quantity::units(5),
            stages: &s,
            flows: &flows,
            dispatched: Quantity::units(3),
        };
        assert!(check_move(&l, &mv(Some(7), Some(6), 2, MoveKind::Undo)).is_ok());
        let e = check_move(&l, &mv(Some(7), Some(6), 3, MoveKind::Undo)).unwrap_err();
        assert_eq!(e.code, "dispatched");
        assert!(e.message.contains("only 2 can leave"), "{}", e.message);
    }

    #[test]
    fn positions_list_every_active_stage() {
        let mut s = stages();
        s[2].archived = true;
        let flows = [flow(None, Some(1), 2), flow(Some(6), Some(7), 0)];
        let p = positions_of(Uuid::nil(), Quantity::units(3), &s, &flows, Quantity(0));
        assert_eq!(p.positions.len(), 7, "not started + 6 active stages");
        assert_eq!(p.positions[0].quantity, Quantity::units(1));
        assert_eq!(p.positions[1].quantity, Quantity::units(2));
        assert_eq!(
            previous(&s, Uuid::from_u128(4)),
            Some(Some(Uuid::from_u128(2)))
        );
        assert_eq!(previous(&s, Uuid::from_u128(1)), Some(None));
        assert!(previous(&s, Uuid::from_u128(3)).is_none());
    }
}
