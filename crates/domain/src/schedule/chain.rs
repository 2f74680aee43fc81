//! The millwork chain: from an item's installation date back through production, procurement
//! and approvals to the date its shop drawing must be submitted, and forward again from what
//! has actually happened to say whether the item still fits.

use time::{Date, Duration};

use super::WorkCalendar;
use crate::enums::string_enum;

string_enum!(
    /// One step of the chain, in the order an item goes through them.
    ChainStep {
        SiteMeasure => "site_measure", "Site measure",
        ShopDrawing => "shop_drawing", "Shop drawing",
        ClientApproval => "client_approval", "Client approval",
        MaterialSpec => "material_spec", "Material specification",
        SpecApproval => "spec_approval", "Specification approval",
        Procurement => "procurement", "Procurement",
        Production => "production", "Production",
        Delivery => "delivery", "Delivery",
        Installation => "installation", "Installation",
    }
);

/// The longest step a template may have, in working days.
pub const MAX_STEP_DAYS: u32 = 250;

/// One step of a template. Procurement takes the material's lead time (calendar days) instead
/// of `working_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateStep {
    pub step: ChainStep,
    pub working_days: u32,
}

/// A company's chain: some of the steps, in their fixed order, each with a duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowTemplate {
    steps: Vec<TemplateStep>,
}

impl WorkflowTemplate {
    /// The chain when a company has not set its own.
    pub fn standard() -> Self {
        use ChainStep::*;
        let steps = [
            (SiteMeasure, 1),
            (ShopDrawing, 7),
            (ClientApproval, 3),
            (MaterialSpec, 5),
            (SpecApproval, 3),
            (Procurement, 0),
            (Production, 21),
            (Delivery, 1),
            (Installation, 2),
        ];
        Self {
            steps: steps
                .into_iter()
                .map(|(step, working_days)| TemplateStep { step, working_days })
                .collect(),
        }
    }

    /// A template from stored steps: each step at most once, in the chain's order, ending with
    /// installation (the date everything works back from), each at most [`MAX_STEP_DAYS`].
    pub fn new(mut steps: Vec<TemplateStep>) -> Result<Self, String> {
        steps.sort_by_key(|s| s.step);
        if let Some(w) = steps.windows(2).find(|w| w[0].step == w[1].step) {
            return Err(format!("{} appears twice: keep one", w[0].step.label()));
        }
        if steps.last().map(|s| s.step) != Some(ChainStep::Installation) {
            return Err(
                "the chain must end with installation: every date works back from it".into(),
            );
        }
        if let Some(s) = steps.iter().find(|s| s.working_days > MAX_STEP_DAYS) {
            return Err(format!(
                "{} takes {} working days; at most {MAX_STEP_DAYS}",
                s.step.label(),
                s.working_days
            ));
        }
        Ok(Self { steps })
    }

    pub fn steps(&self) -> &[TemplateStep] {
        &self.steps
    }
}

/// A step's dates, first and last working day (equal for a step of no duration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepDates {
    pub step: ChainStep,
    pub start: Date,
    pub finish: Date,
}

/// The latest dates of every step for an item installed from `install_on`, working back: each
/// step finishes the working day before the next one starts. Procurement takes
/// `lead_time_days` calendar days (the order-by date is its start) and ends the working day
/// before production starts.
pub fn latest_dates(
    template: &WorkflowTemplate,
    install_on: Date,
    lead_time_days: u32,
    calendar: &WorkCalendar,
) -> Vec<StepDates> {
    let mut out = Vec::with_capacity(template.steps.len());
    // The first day of the step after the one being placed.
    let mut next_start: Option<Date> = None;
    for s in template.steps.iter().rev() {
        let (start, finish) = match (s.step, next_start) {
            (ChainStep::Installation, _) | (_, None) => {
                let start = calendar.previous_working(install_on);
                (start, span_end(calendar, start, s.working_days))
            }
            (ChainStep::Procurement, Some(next)) => {
                let arrive = calendar.add_working_days(next, -1);
                let order =
                    calendar.previous_working(arrive - Duration::days(i64::from(lead_time_days)));
                (order, arrive)
            }
            (_, Some(next)) => {
                let finish = calendar.add_working_days(next, -1);
                let back = i32::try_from(s.working_days.saturating_sub(1)).unwrap_or(i32::MAX);
                (calendar.add_working_days(finish, -back), finish)
            }
        };
        // A step of no duration takes no day of its own: the one before ends where it does.
        if s.working_days > 0 || matches!(s.step, ChainStep::Procurement | ChainStep::Installation)
        {
            next_start = Some(start);
        }
        out.push(StepDates {
            step: s.step,
            start,
            finish,
        });
    }
    out.reverse();
    out
}

fn span_end(calendar: &WorkCalendar, start: Date, working_days: u32) -> Date {
    let more = i32::try_from(working_days.saturating_sub(1)).unwrap_or(i32::MAX);
    calendar.add_working_days(start, more)
}

/// What has happened to an item so far, with the names to use in messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainProgress {
    pub measured_on: Option<Date>,
    /// The shop drawing (e.g. "SD-104"), its first submission and its approval.
    pub drawing: Option<String>,
    pub drawing_submitted_on: Option<Date>,
    pub drawing_approved_on: Option<Date>,
    /// The material specification (e.g. "MS-012"), submitted and approved.
    pub spec: Option<String>,
    pub spec_submitted_on: Option<Date>,
    pub spec_approved_on: Option<Date>,
    /// The purchase order (e.g. "PO-0003"), when it was sent and when the supplier expects to
    /// deliver; `received_on` once everything arrived.
    pub order: Option<String>,
    pub ordered_on: Option<Date>,
    pub expected_on: Option<Date>,
    pub received_on: Option<Date>,
    pub produced_on: Option<Date>,
    pub delivered_on: Option<Date>,
    pub installed_on: Option<Date>,
}

/// One step as forecast: its latest dates, the dates it is now expected on, and whether done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepForecast {
    pub latest: StepDates,
    pub start: Date,
    pub finish: Date,
    pub done: bool,
}

/// Whether an item's chain still fits before its installation date, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forecast {
    pub steps: Vec<StepForecast>,
    /// The installation's forecast first day.
    pub install_from: Date,
    /// The chain no longer fits: installation would start after its date.
    pub at_risk: bool,
    /// What is late, in words ("drawing SD-104 approved 6 working days late; order-by passed").
    pub reasons: Vec<String>,
}

/// Works forward from what happened (and from `today` for what has not) through the chain's
/// durations, and compares with the latest dates.
pub fn forecast(
    template: &WorkflowTemplate,
    latest: &[StepDates],
    lead_time_days: u32,
    progress: &ChainProgress,
    today: Date,
    calendar: &WorkCalendar,
) -> Forecast {
    let mut steps = Vec::with_capacity(latest.len());
    let mut reasons = Vec::new();
    let first_free = calendar.next_working(today);
    // The earliest day the next step can start.
    let mut from: Option<Date> = None;
    let done_later = |i: usize| {
        latest[i + 1..]
            .iter()
            .any(|l| actual(progress, l.step).is_some())
    };
    for (i, (t, l)) in template.steps.iter().zip(latest).enumerate() {
        let earliest = from.map_or(first_free, |f| f.max(first_free));
        let (start, finish, done) = match actual(progress, t.step) {
            Some(on) => {
                let late = calendar.working_days_between(l.finish, on);
                if late > 0 {
                    reasons.push(format!(
                        "{} {late} working day{} late",
                        done_words(progress, t.step),
                        plural(late)
                    ));
                }
                (on, on, true)
            }
            None if done_later(i) => (l.start, l.finish, true),
            None if t.step == ChainStep::Procurement => {
                let (order, arrive) = match progress.ordered_on {
                    Some(ordered) => (
                        ordered,
                        progress
                            .expected_on
                            .unwrap_or(ordered + Duration::days(i64::from(lead_time_days))),
                    ),
                    None => {
                        if today > l.start {
                            reasons.push(format!("order-by {} passed", l.start));
                        }
                        (
                            earliest,
                            earliest + Duration::days(i64::from(lead_time_days)),
                        )
                    }
                };
                let arrive = calendar.next_working(arrive.max(earliest));
                if progress.ordered_on.is_some() && arrive > l.finish {
                    let late = calendar.working_days_between(l.finish, arrive);
                    reasons.push(format!(
                        "{} expected {arrive}, {late} working day{} after the material is needed",
                        progress.order.as_deref().unwrap_or("the order"),
                        plural(late)
                    ));
                }
                (order, arrive, false)
            }
            None => {
                if today > l.start
                    && matches!(
                        t.step,
                        ChainStep::ShopDrawing | ChainStep::MaterialSpec | ChainStep::Production
                    )
                {
                    reasons.push(format!(
                        "{} should have started by {}",
                        t.step.label().to_lowercase(),
                        l.start
                    ));
                }
                (
                    earliest,
                    span_end(calendar, earliest, t.working_days),
                    false,
                )
            }
        };
        if t.working_days > 0 || t.step == ChainStep::Procurement || done {
            from = Some(calendar.add_working_days(finish, 1));
        }
        steps.push(StepForecast {
            latest: *l,
            start,
            finish,
            done,
        });
    }
    let install_from = steps.last().map_or(first_free, |s| s.start);
    let install_latest = latest.last().map_or(install_from, |l| l.start);
    let installed = steps.last().is_some_and(|s| s.done);
    Forecast {
        steps,
        install_from,
        at_risk: !installed && install_from > install_latest,
        reasons,
    }
}

/// The date a step was done, from what happened to the item.
fn actual(p: &ChainProgress, step: ChainStep) -> Option<Date> {
    match step {
        ChainStep::SiteMeasure => p.measured_on,
        ChainStep::ShopDrawing => p.drawing_submitted_on,
        ChainStep::ClientApproval => p.drawing_approved_on,
        ChainStep::MaterialSpec => p.spec_submitted_on,
        ChainStep::SpecApproval => p.spec_approved_on,
        ChainStep::Procurement => p.received_on,
        ChainStep::Production => p.produced_on,
        ChainStep::Delivery => p.delivered_on,
        ChainStep::Installation => p.installed_on,
    }
}

/// "drawing SD-104 approved", for a step done late.
fn done_words(p: &ChainProgress, step: ChainStep) -> String {
    let drawing = p
        .drawing
        .as_deref()
        .map_or("the drawing".to_owned(), |d| format!("drawing {d}"));
    let spec = p
        .spec
        .as_deref()
        .map_or("the specification".to_owned(), |s| {
            format!("specification {s}")
        });
    match step {
        ChainStep::SiteMeasure => "site measure done".into(),
        ChainStep::ShopDrawing => format!("{drawing} submitted"),
        ChainStep::ClientApproval => format!("{drawing} approved"),
        ChainStep::MaterialSpec => format!("{spec} submitted"),
        ChainStep::SpecApproval => format!("{spec} approved"),
        ChainStep::Procurement => {
            format!("{} received", p.order.as_deref().unwrap_or("the material"))
        }
        ChainStep::Production => "production finished".into(),
        ChainStep::Delivery => "delivered".into(),
        ChainStep::Installation => "installed".into(),
    }
}

fn plural(n: i32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const INSTALL: Date = date!(2026 - 06 - 01);

    fn latest() -> Vec<StepDates> {
        latest_dates(
            &WorkflowTemplate::standard(),
            INSTALL,
            28,
            &WorkCalendar::standard(),
        )
    }

    fn step(dates: &[StepDates], step: ChainStep) -> (Date, Date) {
        let d = dates.iter().find(|d| d.step == step).unwrap();
        (d.start, d.finish)
    }

    /// Worked back by hand from installation on Monday 1 June 2026, Monday to Friday, a 28-day
    /// lead time.
    #[test]
    fn the_standard_chain_works_back_from_installation() {
        let l = latest();
        use ChainStep::*;
        assert_eq!(
            step(&l, Installation),
            (date!(2026 - 06 - 01), date!(2026 - 06 - 02))
        );
        assert_eq!(
            step(&l, Delivery),
            (date!(2026 - 05 - 29), date!(2026 - 05 - 29))
        );
        assert_eq!(
            step(&l, Production),
            (date!(2026 - 04 - 30), date!(2026 - 05 - 28))
        );
        assert_eq!(
            step(&l, Procurement),
            (date!(2026 - 04 - 01), date!(2026 - 04 - 29))
        );
        assert_eq!(
            step(&l, SpecApproval),
            (date!(2026 - 03 - 27), date!(2026 - 03 - 31))
        );
        assert_eq!(
            step(&l, MaterialSpec),
            (date!(2026 - 03 - 20), date!(2026 - 03 - 26))
        );
        assert_eq!(
            step(&l, ClientApproval),
            (date!(2026 - 03 - 17), date!(2026 - 03 - 19))
        );
        assert_eq!(
            step(&l, ShopDrawing),
            (date!(2026 - 03 - 06), date!(2026 - 03 - 16))
        );
        assert_eq!(
            step(&l, SiteMeasure),
            (date!(2026 - 03 - 05), date!(2026 - 03 - 05))
        );
    }

    #[test]
    fn an_item_on_time_fits_with_nothing_to_say() {
        let l = latest();
        let f = forecast(
            &WorkflowTemplate::standard(),
            &l,
            28,
            &ChainProgress::default(),
            date!(2026 - 03 - 02),
            &WorkCalendar::standard(),
        );
        assert!(!f.at_risk);
        assert!(f.reasons.is_empty());
        assert!(f.install_from <= INSTALL);
    }

    #[test]
    fn a_late_approval_and_a_missed_order_by_put_the_item_at_risk_with_reasons() {
        let l = latest();
        let progress = ChainProgress {
            measured_on: Some(date!(2026 - 03 - 05)),
            drawing: Some("SD-104".into()),
            drawing_submitted_on: Some(date!(2026 - 03 - 16)),
            drawing_approved_on: Some(date!(2026 - 03 - 27)),
            spec: Some("MS-012".into()),
            spec_submitted_on: Some(date!(2026 - 03 - 26)),
            spec_approved_on: Some(date!(2026 - 04 - 03)),
            ..ChainProgress::default()
        };
        let f = forecast(
            &WorkflowTemplate::standard(),
            &l,
            28,
            &progress,
            date!(2026 - 04 - 06),
            &WorkCalendar::standard(),
        );
        assert_eq!(
            f.reasons,
            [
                "drawing SD-104 approved 6 working days late",
                "specification MS-012 approved 3 working days late",
                "order-by 2026-04-01 passed",
            ]
        );
        // Ordered today, the material arrives 4 May; 21 days of production from 5 May end
        // 2 June; delivered 3 June; installation can start 4 June, three days after its date.
        assert_eq!(f.install_from, date!(2026 - 06 - 04));
        assert!(f.at_risk);
    }

    #[test]
    fn the_orders_expected_date_sets_procurement() {
        let l = latest();
        let progress = ChainProgress {
            drawing_approved_on: Some(date!(2026 - 03 - 19)),
            spec_approved_on: Some(date!(2026 - 03 - 31)),
            order: Some("PO-0003".into()),
            ordered_on: Some(date!(2026 - 04 - 01)),
            expected_on: Some(date!(2026 - 05 - 06)),
            ..ChainProgress::default()
        };
        let f = forecast(
            &WorkflowTemplate::standard(),
            &l,
            28,
            &progress,
            date!(2026 - 04 - 02),
            &WorkCalendar::standard(),
        );
        assert_eq!(
            f.reasons,
            ["PO-0003 expected 2026-05-06, 5 working days after the material is needed"]
        );
        assert!(f.at_risk);
        // Everything before the approval counts as done.
        assert!(f.steps[..5].iter().all(|s| s.done));
    }

    #[test]
    fn templates_keep_the_chain_order_and_end_with_installation() {
        use ChainStep::*;
        let t = |s: &[(ChainStep, u32)]| {
            WorkflowTemplate::new(
                s.iter()
                    .map(|&(step, working_days)| TemplateStep { step, working_days })
                    .collect(),
            )
        };
        let ok = t(&[(Installation, 1), (ShopDrawing, 5), (Production, 10)]).unwrap();
        assert_eq!(
            ok.steps().iter().map(|s| s.step).collect::<Vec<_>>(),
            [ShopDrawing, Production, Installation]
        );
        assert_eq!(
            t(&[(ShopDrawing, 5), (ShopDrawing, 4), (Installation, 1)]).unwrap_err(),
            "Shop drawing appears twice: keep one"
        );
        assert!(
            t(&[(ShopDrawing, 5)])
                .unwrap_err()
                .contains("end with installation")
        );
        assert!(
            t(&[(Production, 999), (Installation, 1)])
                .unwrap_err()
                .contains("at most")
        );
    }

    fn templates() -> impl Strategy<Value = WorkflowTemplate> {
        prop::collection::vec((any::<bool>(), 0_u32..30), ChainStep::ALL.len()).prop_map(|v| {
            let steps = ChainStep::ALL
                .iter()
                .zip(v)
                .filter(|(s, (keep, _))| *keep || **s == ChainStep::Installation)
                .map(|(&step, (_, working_days))| TemplateStep { step, working_days })
                .collect();
            WorkflowTemplate::new(steps).unwrap()
        })
    }

    proptest! {
        #[test]
        fn starting_every_step_on_its_latest_date_still_fits(
            template in templates(), lead in 0_u32..120, offset in 0_i64..400,
        ) {
            let cal = WorkCalendar::standard();
            let install = date!(2026 - 01 - 05) + Duration::days(offset);
            let l = latest_dates(&template, install, lead, &cal);
            for w in l.windows(2) {
                prop_assert!(w[0].start <= w[0].finish);
                prop_assert!(w[0].finish <= w[1].start);
            }
            let today = l[0].start;
            let f = forecast(&template, &l, lead, &ChainProgress::default(), today, &cal);
            prop_assert!(!f.at_risk, "{:?}", f);
            prop_assert!(f.reasons.is_empty());
        }
    }
}
