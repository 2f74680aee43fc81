//! The Gantt chart in headless Chromium against the real server, as the project's manager:
//! a bar dragged with the mouse saves the task's new dates (its version moves on), another
//! moved with the arrow keys and Enter does the same, and Reschedule then moves the tasks that
//! follow; the chart at 1280 px and the list at 375 px. Then the chart of 1,000 tasks and 360
//! links against the page budget (DESIGN.md §9): HTML and JavaScript as the server compresses
//! them, the first paint, and how long the page's drag handler takes per pointer move.

use std::time::Instant;

use serde_json::{Value, json};

use crate::browser::{Session, Step, first_run_setup};
use crate::browser_installation::Api;
use crate::process::Server;
use crate::webdriver::Browser;

/// WebDriver key codes.
const ARROW_RIGHT: &str = "\u{e014}";
const ENTER: &str = "\u{e007}";
/// Pixels a day takes at the Week zoom (`ui/gantt/layout.rs`).
const WEEK_DAY_PX: i64 = 28;

/// A session signed in as the administrator, who manages a new project; its API and id.
fn scene(server: Server, name: &str) -> (Session, Api, String) {
    let base = server.url("");
    let s = Session {
        b: Browser::start().unwrap_or_else(|e| panic!("start headless Chromium: {e}")),
        server,
    };
    first_run_setup(&s);
    let api = Api::from_profile(&s, base, name);
    let me = api.ok("GET", "/auth/me", Value::Null);
    let client = api.ok("POST", "/clients", json!({"name": "Harbor Hotels"}));
    let project = api.ok(
        "POST",
        "/projects",
        json!({"name": "Harbor lobby", "client_id": client["id"], "manager_id": me["user"]["id"],
               "sector": "hospitality", "business_line": "millwork"}),
    );
    let p = project["id"].as_str().unwrap().to_owned();
    (s, api, p)
}

/// The script that finds a task's bar: the chart's bar labelled by the task's row of the list.
const BAR_OF: &str = "var a = document.querySelector(\".gantt-list a[href='/tasks/\" + arguments[0] + \"']\");\
                      var bar = a && document.querySelector(\"[aria-labelledby='\" + a.closest('li').id + \"']\");";

/// Scrolls a task's bar into the middle of the chart and returns it.
fn bar(s: &Session, task: &str) -> crate::webdriver::Element {
    s.wait(&format!(".gantt-list a[href='/tasks/{task}']"));
    let el =
        s.b.execute(
            &format!(
                "{BAR_OF} bar.scrollIntoView({{block: 'center', inline: 'center'}}); return bar;"
            ),
            vec![json!(task)],
        )
        .step("the task's bar");
    crate::webdriver::Element(
        el.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no bar for {task}: {el}"))
            .to_owned(),
    )
}

/// Waits until the chart (reloaded after a save) draws a task's bar from `start`.
fn wait_bar_start(s: &Session, task: &str, start: &str) {
    let deadline = Instant::now() + crate::browser::WAIT;
    loop {
        let now =
            s.b.execute(
                &format!("{BAR_OF} return bar ? bar.parentNode.getAttribute('data-start') : null;"),
                vec![json!(task)],
            )
            .unwrap_or(Value::Null);
        if now.as_str() == Some(start) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the bar of {task} starts {now}, not {start}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn dates(api: &Api, task: &str) -> (String, String, i64) {
    let t = api.ok("GET", &format!("/tasks/{task}"), Value::Null);
    (
        t["start_date"].as_str().unwrap_or_default().to_owned(),
        t["due_date"].as_str().unwrap_or_default().to_owned(),
        t["version"].as_i64().unwrap_or_default(),
    )
}

#[test]
fn browser_gantt_drags_and_keys_move_tasks_and_reschedule_follows() {
    let (s, api, p) = scene(Server::start(), "Gantt scene");
    // Monday 7 January 2030: fabricate Mon–Wed, fit Thu–Fri after it, snag the Monday after.
    let task = |title: &str, start: &str, due: &str| {
        api.ok(
            "POST",
            &format!("/projects/{p}/tasks"),
            json!({"title": title, "start_date": start, "due_date": due}),
        )["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let fabricate = task("Fabricate wardrobes", "2030-01-07", "2030-01-09");
    let fit = task("Fit wardrobes", "2030-01-10", "2030-01-11");
    let snag = task("Snag", "2030-01-14", "2030-01-14");
    let handover = api.ok(
        "POST",
        &format!("/projects/{p}/tasks"),
        json!({"title": "Handover", "due_date": "2030-01-15", "is_milestone": true}),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = |from: &str, to: &str| {
        api.ok(
            "POST",
            &format!("/projects/{p}/dependencies"),
            json!({"predecessor_id": from, "successor_id": to}),
        );
    };
    link(&fabricate, &fit);
    link(&fit, &snag);
    link(&snag, &handover);

    s.b.set_window_size(1280, 900).step("desktop width");
    s.goto(&format!("/projects/{p}/gantt?zoom=week"));
    s.wait("svg.gantt");
    s.check_csp_clean();
    assert_eq!(s.b.find_all("path.gantt-link").step("arrows").len(), 3);
    assert_eq!(s.b.find_all("polygon.milestone").step("diamond").len(), 1);
    // The names beside the chart sit on their bars' rows.
    let rows =
        s.b.execute(
            "return Array.from(document.querySelectorAll('.gantt-list-rows li')).map(function (li, i) {\
               var g = document.querySelectorAll('g.gantt-task')[i];\
               var bar = g.querySelector('rect.bar, polygon');\
               var a = li.getBoundingClientRect(), b = bar.getBoundingClientRect();\
               return [li.textContent.trim().slice(0, 20), Math.round((a.top + a.bottom) / 2 - (b.top + b.bottom) / 2)];\
             });",
            vec![],
        )
        .step("rows");
    for row in rows.as_array().unwrap() {
        assert!(
            row[1].as_i64().unwrap().abs() <= 1,
            "a name and its bar share a row: {rows}"
        );
    }
    s.screenshot("gantt-1280-week");

    // The mouse: the fabrication dragged a week later (7 days of 28 px).
    let (_, _, before) = dates(&api, &fabricate);
    let el = bar(&s, &fabricate);
    s.b.drag_by(&el, 7 * WEEK_DAY_PX, 0, 7)
        .step("drag the fabrication");
    // Saving reloads the chart; the API has the new dates and a newer version.
    let deadline = Instant::now() + crate::browser::WAIT;
    let moved = loop {
        let now = dates(&api, &fabricate);
        if now.2 != before || Instant::now() > deadline {
            break now;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(
        moved,
        ("2030-01-14".into(), "2030-01-16".into(), before + 1),
        "dragged a week later"
    );
    wait_bar_start(&s, &fabricate, "2030-01-14");
    s.screenshot("gantt-1280-dragged");

    // The keyboard: the snag focused, two days later, Enter saves.
    let (_, _, before) = dates(&api, &snag);
    let el = bar(&s, &snag);
    s.b.execute("arguments[0].focus();", vec![el.to_json()])
        .step("focus the snag");
    s.b.press_keys(&[ARROW_RIGHT, ARROW_RIGHT])
        .step("arrow right twice");
    s.wait_text("#gantt-status", "2030-01-16 to 2030-01-16");
    s.b.press_keys(&[ENTER]).step("Enter saves");
    let deadline = Instant::now() + crate::browser::WAIT;
    let moved = loop {
        let now = dates(&api, &snag);
        if now.2 != before || Instant::now() > deadline {
            break now;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(
        moved,
        ("2030-01-16".into(), "2030-01-16".into(), before + 1),
        "two days later with the keyboard"
    );
    wait_bar_start(&s, &snag, "2030-01-16");

    // Reschedule from the chart: the fitting follows the fabrication, the snag and the
    // handover follow the fitting.
    s.click("a[href$='/schedule?propose=1#proposal']");
    s.wait_text("h2#proposal-h", "Reschedule");
    s.wait_text("#proposal", "Fit wardrobes");
    s.click("#proposal form button[type=submit]");
    s.wait_text(".flash", "saved");
    let (fab_start, fab_due, _) = dates(&api, &fabricate);
    assert_eq!(
        (fab_start.as_str(), fab_due.as_str()),
        ("2030-01-14", "2030-01-16")
    );
    let (fit_start, fit_due, _) = dates(&api, &fit);
    assert_eq!(
        (fit_start.as_str(), fit_due.as_str()),
        ("2030-01-17", "2030-01-18"),
        "the fitting starts the day after the fabrication"
    );
    let (snag_start, _, _) = dates(&api, &snag);
    assert_eq!(snag_start, "2030-01-21", "the snag follows on the Monday");
    let (_, handover_due, _) = dates(&api, &handover);
    assert_eq!(handover_due, "2030-01-21", "the handover the snag's day");

    s.goto(&format!("/projects/{p}/gantt?zoom=week"));
    wait_bar_start(&s, &fit, "2030-01-17");
    let el = bar(&s, &fit);
    // Its tooltip is made from its row of names when the pointer comes by.
    let tip =
        s.b.execute(
            "arguments[0].dispatchEvent(new PointerEvent('pointerover', {bubbles: true}));\
             var t = arguments[0].querySelector('title'); return t ? t.textContent : null;",
            vec![el.to_json()],
        )
        .step("tooltip");
    let tip = tip.as_str().unwrap_or_default();
    assert!(
        tip.contains("Fit wardrobes") && tip.contains("critical"),
        "the bar's tooltip: {tip:?}"
    );
    s.screenshot("gantt-1280-rescheduled");
    s.goto(&format!("/projects/{p}/gantt"));
    s.wait("svg.gantt");
    s.check_csp_clean();
    s.screenshot("gantt-1280-month");

    // A phone gets the list, which fits its width.
    s.b.set_window_size(375, 800).step("phone width");
    s.goto(&format!("/projects/{p}/gantt"));
    let names = s.wait_text(".gantt-list", "Fit wardrobes");
    s.b.execute("arguments[0].scrollIntoView();", vec![names.to_json()])
        .step("scroll to the list");
    let fits =
        s.b.execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .step("page width");
    assert!(
        fits[0].as_i64() <= fits[1].as_i64(),
        "the Gantt page fits 375 px: {fits}"
    );
    s.screenshot("gantt-375-list");
}

/// The page-budget figures of one load of the chart, from the browser's Performance API.
#[derive(Debug)]
struct Load {
    /// Bytes of HTML as sent (compressed), and decoded.
    html: u64,
    html_decoded: u64,
    /// Milliseconds from navigation start.
    fcp: f64,
    interactive: f64,
    dom_content_loaded: f64,
}

fn measure_load(s: &Session) -> Load {
    let v =
        s.b.execute(
            "var n = performance.getEntriesByType('navigation')[0];\
             var f = performance.getEntriesByName('first-contentful-paint')[0];\
             return [n.encodedBodySize, n.decodedBodySize, f ? f.startTime : -1,\
                     n.domInteractive, n.domContentLoadedEventEnd];",
            vec![],
        )
        .step("performance entries");
    let f = |i: usize| v[i].as_f64().unwrap_or(-1.0);
    Load {
        html: f(0) as u64,
        html_decoded: f(1) as u64,
        fcp: f(2),
        interactive: f(3),
        dom_content_loaded: f(4),
    }
}

#[test]
fn browser_gantt_of_a_thousand_tasks_within_the_page_budget() {
    let server = Server::start_with(&[("RATE_LIMIT_ENABLED", "false")]);
    let (s, api, p) = scene(server, "Gantt budget");
    // 100 chains of 10 tasks of 3 days from January 2027; the first 40 chains linked
    // finish to start (360 links).
    let started = Instant::now();
    let ids: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let (api, p) = (&api, &p);
                scope.spawn(move || {
                    (w * 250..(w + 1) * 250)
                        .map(|i: i64| {
                            let (chain, step) = (i / 10, i % 10);
                            let start = time::Date::from_calendar_date(2027, time::Month::January, 4)
                                .unwrap()
                                + time::Duration::days(chain * 3 + step * 4);
                            let due = start + time::Duration::days(2);
                            api.ok(
                                "POST",
                                &format!("/projects/{p}/tasks"),
                                json!({"title": format!("Chain {chain} step {step}: fit joinery"),
                                       "start_date": start.to_string(), "due_date": due.to_string()}),
                            )["id"]
                                .as_str()
                                .unwrap()
                                .to_owned()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert_eq!(ids.len(), 1000);
    std::thread::scope(|scope| {
        for w in 0..4 {
            let (api, p, ids) = (&api, &p, &ids);
            scope.spawn(move || {
                for chain in (w * 10)..(w + 1) * 10 {
                    for step in 0..9 {
                        let i = chain * 10 + step;
                        api.ok(
                            "POST",
                            &format!("/projects/{p}/dependencies"),
                            json!({"predecessor_id": ids[i], "successor_id": ids[i + 1]}),
                        );
                    }
                }
            });
        }
    });
    eprintln!(
        "gantt budget: 1,000 tasks and 360 links made in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    s.b.set_window_size(1280, 900).step("desktop width");
    // The first load warms the server's caches and the browser's; the next is measured. The
    // other tests share the two cores, and a load can stall behind them for a moment: up to
    // three loads are timed and the quickest counts (it shows what the page itself needs).
    s.goto(&format!("/projects/{p}/gantt"));
    s.wait("svg.gantt");
    let mut load: Option<Load> = None;
    for _ in 0..3 {
        s.goto(&format!("/projects/{p}/gantt"));
        s.wait("svg.gantt");
        let this = measure_load(&s);
        eprintln!("gantt budget: a load: {this:?}");
        if load
            .as_ref()
            .is_none_or(|l| this.dom_content_loaded < l.dom_content_loaded)
        {
            load = Some(this);
        }
        if load
            .as_ref()
            .is_some_and(|l| l.fcp < 1000.0 && l.dom_content_loaded < 1000.0)
        {
            break;
        }
    }
    let load = load.expect("the chart was loaded");
    let bars = s.b.find_all("g.gantt-task").step("bars").len();
    assert_eq!(bars, 1000, "every task is drawn");
    let arrows = s.b.find_all("path.gantt-link").step("arrows").len();
    assert_eq!(arrows, 360, "every link is drawn");
    s.check_csp_clean();
    s.screenshot("gantt-1280-thousand");

    // The scripts the page loads, compressed as the server sends them to a browser.
    let srcs =
        s.b.execute(
            "return Array.from(document.scripts).map(function (x) { return x.src; });",
            vec![],
        )
        .step("script sources");
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .new_agent();
    let mut js = 0;
    for src in srcs
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let mut resp = agent
            .get(src)
            .header("Accept-Encoding", "br, gzip")
            .call()
            .unwrap_or_else(|e| panic!("GET {src}: {e}"));
        let encoding = resp
            .headers()
            .get("content-encoding")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("identity")
            .to_owned();
        let body = resp.body_mut().read_to_vec().unwrap();
        eprintln!("gantt budget: {src}: {} bytes ({encoding})", body.len());
        assert_ne!(encoding, "identity", "{src} is sent compressed");
        js += body.len() as u64;
    }

    // The same page for a client that takes gzip only (gzip's 32 KB window is the harder case).
    let mut resp = agent
        .get(s.server.url(&format!("/projects/{p}/gantt")))
        .header("Accept-Encoding", "gzip")
        .header("Cookie", s.b.cookie_header().step("cookies"))
        .call()
        .unwrap();
    assert_eq!(
        resp.headers()
            .get("content-encoding")
            .and_then(|h| h.to_str().ok()),
        Some("gzip")
    );
    let gzip = resp.body_mut().read_to_vec().unwrap().len() as u64;

    // Dragging stays responsive: the chart's pointer-move handler, timed in the page between
    // a capturing listener before it and a bubbling one after it. The times are kept in the
    // tab's session storage: the page reloads once the drag is saved, which on a busy
    // machine can happen before they are read.
    s.b.execute(
        "window.__moves = []; sessionStorage.removeItem('gantt-moves');\
         document.addEventListener('pointermove', function () { window.__t0 = performance.now(); }, true);\
         document.addEventListener('pointermove', function () {\
           if (window.__t0 !== undefined) { window.__moves.push(performance.now() - window.__t0);\
             sessionStorage.setItem('gantt-moves', JSON.stringify(window.__moves)); } });",
        vec![],
    )
    .step("time the drag handler");
    let last = &ids[999];
    let el = bar(&s, last);
    let (_, _, before) = dates(&api, last);
    s.b.drag_by(&el, 3 * 8, 0, 12)
        .step("drag a bar of the thousand");
    let moves =
        s.b.execute(
            "return JSON.parse(sessionStorage.getItem('gantt-moves') || '[]');",
            vec![],
        )
        .step("handler times");
    let moves: Vec<f64> = moves
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_f64)
        .collect();
    let worst = moves.iter().copied().fold(0.0, f64::max);
    let deadline = Instant::now() + crate::browser::WAIT;
    while dates(&api, last).2 == before && Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(dates(&api, last).2, before + 1, "the drag was saved");

    eprintln!(
        "gantt budget (server: debug build as cargo test builds it): HTML {} B compressed \
         ({} B decoded, {gzip} B gzip), JS {js} B compressed, first contentful paint {:.0} ms, interactive \
         {:.0} ms, DOMContentLoaded {:.0} ms; {} pointer moves, slowest handler {worst:.2} ms",
        load.html,
        load.html_decoded,
        load.fcp,
        load.interactive,
        load.dom_content_loaded,
        moves.len()
    );
    assert!(
        load.html <= 60 * 1024,
        "HTML over 60 KB compressed: {load:?}"
    );
    assert!(gzip <= 60 * 1024, "HTML over 60 KB in gzip: {gzip} B");
    assert!(js <= 100 * 1024, "JS over 100 KB compressed: {js} B");
    assert!(
        load.fcp > 0.0 && load.fcp < 1000.0,
        "first paint within 1 s: {load:?}"
    );
    assert!(
        load.dom_content_loaded < 1000.0,
        "usable within 1 s: {load:?}"
    );
    assert!(!moves.is_empty(), "the drag sent pointer moves");
    assert!(
        worst < 16.0,
        "a pointer move's handler fits a frame: {moves:?}"
    );
}
