//! Telling a task's assignee that someone else moved its dates: an edit of its start or due
//! date (the API, the task form, a bar dragged on the Gantt), a bulk shift of due dates, or a
//! reschedule applied. The rule (`TaskDatesMoved`: the assignee, never whoever moved it,
//! never someone disabled or who cannot see the task) is the notifications'; a task assigned
//! in the same change hears of its assignment instead, which names its dates.

use formula_domain::comment::RecordKind;
use formula_domain::notification::Event;
use formula_domain::task::Task;
use time::Date;
use uuid::Uuid;

use crate::context::Caller;
use crate::notifications::Happening;
use crate::repos::RecordKey;
use crate::services::Services;

/// A task's start and due date.
pub(crate) type Dates = (Option<Date>, Option<Date>);

/// A date as people say it: "3 Mar", with the year when it is not `this_year`.
fn day(d: Date, this_year: i32) -> String {
    let month = &formula_domain::calendar::month_name(d.month())[..3];
    if d.year() == this_year {
        format!("{} {month}", d.day())
    } else {
        format!("{} {month} {}", d.day(), d.year())
    }
}

fn when(d: Option<Date>, this_year: i32) -> String {
    d.map_or_else(|| "no date".to_owned(), |d| day(d, this_year))
}

/// Both dates in words: "3 Mar – 7 Mar", one day "3 Mar", "from 3 Mar", "due 7 Mar".
fn span((start, due): Dates, this_year: i32) -> String {
    match (start, due) {
        (Some(s), Some(d)) if s == d => day(s, this_year),
        (Some(s), Some(d)) => format!("{} – {}", day(s, this_year), day(d, this_year)),
        (Some(s), None) => format!("from {}", day(s, this_year)),
        (None, Some(d)) => format!("due {}", day(d, this_year)),
        (None, None) => "no dates".to_owned(),
    }
}

/// What the assignee reads: "Your task “Kitchen – production” moved: 3 Mar → 10 Mar" (the
/// due date when only it moved, the start when only it did, both otherwise).
pub(crate) fn moved_title(title: &str, before: Dates, after: Dates, this_year: i32) -> String {
    let what = if before.0 == after.0 {
        format!(
            "due {} → {}",
            when(before.1, this_year),
            when(after.1, this_year)
        )
    } else if before.1 == after.1 {
        format!(
            "start {} → {}",
            when(before.0, this_year),
            when(after.0, this_year)
        )
    } else {
        format!("{} → {}", span(before, this_year), span(after, this_year))
    };
    format!("Your task “{title}” moved: {what}")
}

impl Services {
    /// Tells `after`'s assignee that its dates moved from `before`, when they did, the
    /// assignee stayed the same and it was not them (the rule leaves the actor out).
    /// `after.version` is the saved version (what makes this move one occurrence).
    pub(crate) async fn tell_dates_moved(
        &self,
        caller: &Caller,
        before: &Task,
        after: &Task,
        client_id: Uuid,
    ) {
        let (from, to) = (
            (before.start_date, before.due_date),
            (after.start_date, after.due_date),
        );
        if from == to || after.assignee_id.is_none() || after.assignee_id != before.assignee_id {
            return;
        }
        let record = RecordKey {
            kind: RecordKind::Task,
            id: after.id,
            project_id: after.project_id,
        };
        let title = moved_title(&after.title, from, to, self.today().year());
        let mut h = Happening::new(Event::TaskDatesMoved, record, client_id, title).by(caller);
        h.parties.assignee = after.assignee_id;
        h.occurrence = format!("v{}", after.version);
        self.notify(h).await;
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn the_title_says_what_moved_from_and_to() {
        let t = "Kitchen – production";
        let due = |d| (None, Some(d));
        assert_eq!(
            moved_title(
                t,
                due(date!(2026 - 03 - 03)),
                due(date!(2026 - 03 - 10)),
                2026
            ),
            "Your task “Kitchen – production” moved: due 3 Mar → 10 Mar"
        );
        let both = |s, d| (Some(s), Some(d));
        assert_eq!(
            moved_title(
                t,
                both(date!(2026 - 03 - 03), date!(2026 - 03 - 03)),
                both(date!(2026 - 03 - 10), date!(2026 - 03 - 10)),
                2026
            ),
            "Your task “Kitchen – production” moved: 3 Mar → 10 Mar",
            "a milestone's one date"
        );
        assert_eq!(
            moved_title(
                t,
                both(date!(2026 - 12 - 28), date!(2027 - 01 - 04)),
                both(date!(2027 - 01 - 04), date!(2027 - 01 - 11)),
                2026
            ),
            "Your task “Kitchen – production” moved: 28 Dec – 4 Jan 2027 → 4 Jan 2027 – 11 Jan 2027"
        );
        assert_eq!(
            moved_title(
                t,
                both(date!(2026 - 03 - 02), date!(2026 - 03 - 06)),
                both(date!(2026 - 03 - 04), date!(2026 - 03 - 06)),
                2026
            ),
            "Your task “Kitchen – production” moved: start 2 Mar → 4 Mar"
        );
        assert_eq!(
            moved_title(t, due(date!(2026 - 03 - 03)), (None, None), 2026),
            "Your task “Kitchen – production” moved: due 3 Mar → no date"
        );
    }
}
