//! The company's task labels, and on the first project's tasks: labels, checklists (some
//! items ticked) and a few subtasks, made by its project manager.

use formula_app::context::Caller;
use formula_app::task_features::{ChecklistPatch, LabelInput, NewChecklistItem};
use formula_app::tasks::NewTask;
use formula_app::{AppError, Services};
use formula_domain::task_features::LabelColour;
use uuid::Uuid;

const LABELS: &[(&str, LabelColour)] = &[
    ("Urgent", LabelColour::Red),
    ("Client request", LabelColour::Blue),
    ("Site", LabelColour::Green),
    ("Waiting on supplier", LabelColour::Amber),
    ("Design", LabelColour::Purple),
];

const CHECKLISTS: &[&[&str]] = &[
    &[
        "Check the site dimensions",
        "Mark up the drawing",
        "Send to the client",
        "File the reply",
    ],
    &[
        "Order the veneer",
        "Confirm the delivery date",
        "Book the workshop slot",
    ],
    &[
        "Photograph the rooms",
        "List the snags",
        "Agree the dates with the site manager",
    ],
];

pub async fn seed(
    s: &Services,
    pm: &Caller,
    project_id: Uuid,
    tasks: &[Uuid],
) -> Result<(), AppError> {
    let mut labels = Vec::new();
    for (name, colour) in LABELS {
        let input = LabelInput {
            name: (*name).to_owned(),
            colour: *colour,
            version: None,
        };
        labels.push(s.create_label(pm, input).await?.id);
    }
    // Labels on the first tasks, one or two each.
    for (i, id) in tasks.iter().take(8).enumerate() {
        let (task, _) = s.get_task(pm, *id).await?;
        let chosen = [labels[i % labels.len()], labels[(i + 2) % labels.len()]];
        let chosen = if i % 3 == 0 {
            &chosen[..1]
        } else {
            &chosen[..]
        };
        s.set_task_labels(pm, *id, task.version, chosen).await?;
    }
    // Checklists on three tasks, the first items ticked.
    for (n, (id, items)) in tasks.iter().zip(CHECKLISTS).enumerate() {
        for (i, text) in items.iter().enumerate() {
            let item = s
                .add_checklist_item(
                    pm,
                    *id,
                    NewChecklistItem {
                        text: (*text).to_owned(),
                    },
                )
                .await?;
            if i < items.len() - 1 - n.min(1) {
                let patch = ChecklistPatch {
                    done: Some(true),
                    ..ChecklistPatch::default()
                };
                s.update_checklist_item(pm, item.id, item.version, patch)
                    .await?;
            }
        }
    }
    // Subtasks under the first task.
    if let Some(parent) = tasks.first() {
        let (p, _) = s.get_task(pm, *parent).await?;
        for title in ["Level 1 rooms", "Level 2 rooms", "Penthouse"] {
            let input = NewTask {
                title: format!("{} · {title}", p.title),
                description: None,
                status: None,
                priority: None,
                assignee_id: p.assignee_id,
                start_date: None,
                due_date: p.due_date,
                estimated_hours: None,
                actual_hours: None,
                progress: None,
                parent_id: Some(*parent),
                ..Default::default()
            };
            s.create_task(pm, project_id, input).await?;
        }
    }
    Ok(())
}
