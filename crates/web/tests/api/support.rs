//! A whole application over a real SQLite database in a temporary directory,
//! called in process with `tower::ServiceExt::oneshot`.

use formula_app::repos::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use formula_app::context::{Caller, RequestCtx};
use formula_app::users::NewUser;
use formula_app::{AppConfig, Services};
use formula_domain::user::{Role, User};
use formula_web::{AppState, WebConfig};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The password every test user gets.
pub const PASSWORD: &str = "correct horse battery";

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("formula-web-api-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How a request authenticates.
#[derive(Clone, Debug)]
pub enum Auth {
    None,
    Bearer(String),
    /// The session cookie, and the CSRF token to send (or not).
    Cookie {
        token: String,
        csrf: Option<String>,
    },
}

/// A signed-in test user: the account and a bearer token for it.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub user: User,
    pub auth: Auth,
}

impl TestUser {
    pub fn id(&self) -> String {
        self.user.id.to_string()
    }
}

/// A response, fully read.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
    /// The version in the `ETag` header.
    pub fn etag(&self) -> String {
        self.header("etag")
            .unwrap_or_else(|| panic!("no ETag; status {} body {}", self.status, self.text()))
    }
    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Resp {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text()
        );
        self
    }
    /// Asserts a problem+json answer with this status and code.
    #[track_caller]
    pub fn problem(self, status: u16, code: &str) -> Value {
        let resp = self.expect(status);
        assert_eq!(
            resp.header("content-type").as_deref(),
            Some("application/problem+json"),
            "{}",
            resp.text()
        );
        let body = resp.json();
        assert_eq!(body["code"], code, "problem: {body}");
        assert_eq!(body["status"], status, "problem: {body}");
        body
    }
    /// The fields named in a 422's `errors`, sorted.
    pub fn fields(body: &Value) -> Vec<String> {
        let mut f: Vec<String> = body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        f.sort();
        f
    }
}

/// One application with its own database.
pub struct TestApp {
    pub router: Router,
    pub services: Services,
    /// The app's database, for what a test reads or arranges beneath the use cases.
    pub db: Arc<formula_store::Db>,
    /// Where uploaded files are stored, and where uploads are spooled while they arrive.
    pub files: PathBuf,
    pub spool: PathBuf,
    _dir: TempDir,
    /// The PostgreSQL database of [`TestApp::on_postgres`], dropped with the app.
    _pg: Option<PgDatabase>,
}

/// A test database on the tests' PostgreSQL server, dropped (connections and all) when the
/// test ends, so a long-lived `TEST_DATABASE_URL` server does not collect them.
struct PgDatabase {
    psql: PathBuf,
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = std::process::Command::new(&self.psql)
            .arg(&self.admin_url)
            .args([
                "-q",
                "-c",
                &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
            ])
            .status();
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with_web(WebConfig::default()).await
    }

    /// An application with these web settings (rate limits, CORS, …).
    pub async fn with_web(web: WebConfig) -> TestApp {
        TestApp::with_parts(web, AppConfig::default(), None).await
    }

    /// An application with these use-case settings, reading the time from `clock` when given.
    pub async fn with_config(
        config: AppConfig,
        clock: Option<Arc<dyn formula_app::ports::Clock>>,
    ) -> TestApp {
        TestApp::with_parts(WebConfig::default(), config, clock).await
    }

    /// An application on a fresh database of the tests' PostgreSQL server
    /// (`formula_testkit::pg`), for the few API cases that must hold on both databases.
    pub async fn on_postgres() -> TestApp {
        let server = formula_testkit::pg::server();
        let name = format!("formula_api_{}", uuid::Uuid::now_v7().simple());
        let psql = formula_testkit::pg::find_bin_dir()
            .expect("PostgreSQL binaries")
            .join("psql");
        let made = std::process::Command::new(&psql)
            .arg(&server.admin_url)
            .args(["-q", "-c", &format!("CREATE DATABASE \"{name}\"")])
            .status()
            .expect("run psql");
        assert!(made.success(), "create the test database");
        let url = formula_testkit::pg::with_database(&server.admin_url, &name);
        let mut app =
            TestApp::with_database(Some(url), WebConfig::default(), AppConfig::default(), None)
                .await;
        app._pg = Some(PgDatabase {
            psql,
            admin_url: server.admin_url.clone(),
            name,
        });
        app
    }

    async fn with_parts(
        web: WebConfig,
        config: AppConfig,
        clock: Option<Arc<dyn formula_app::ports::Clock>>,
    ) -> TestApp {
        TestApp::with_database(None, web, config, clock).await
    }

    async fn with_database(
        database_url: Option<String>,
        web: WebConfig,
        config: AppConfig,
        clock: Option<Arc<dyn formula_app::ports::Clock>>,
    ) -> TestApp {
        let dir = TempDir::new();
        let db = formula_store::open(database_url.as_deref(), &dir.0)
            .await
            .expect("open store");
        db.migrate().await.expect("migrate");
        let db = Arc::new(db);
        let (files, spool) = (dir.0.join("uploads"), dir.0.join("uploads-tmp"));
        let blobs = formula_infra::blobs::LocalBlobs::open(files.clone(), spool.clone())
            .expect("uploads folder");
        let mut services = Services::new(db.clone(), Arc::new(formula_app::mail::NoMailer), config)
            .with_blobs(Arc::new(blobs));
        if let Some(clock) = clock {
            services = services.with_clock(clock);
        }
        let router = formula_web::router(AppState::new(services.clone(), web));
        TestApp {
            router,
            services,
            db,
            files,
            spool,
            _dir: dir,
            _pg: None,
        }
    }

    /// Sends a request as built.
    pub async fn send(&self, req: Request<Body>) -> Resp {
        let resp = self.router.clone().oneshot(req).await.expect("infallible");
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.expect("read body").to_bytes();
        Resp {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// Builds a request with authentication and extra headers.
    pub fn build(
        method: Method,
        path: &str,
        auth: &Auth,
        headers: &[(&str, &str)],
        body: Option<Body>,
        json: bool,
    ) -> Request<Body> {
        let mut b = Request::builder().method(method).uri(path);
        match auth {
            Auth::None => {}
            Auth::Bearer(t) => b = b.header(header::AUTHORIZATION, format!("Bearer {t}")),
            Auth::Cookie { token, csrf } => {
                b = b.header(header::COOKIE, format!("other=1; formula_session={token}"));
                if let Some(c) = csrf {
                    b = b.header("x-csrf-token", c);
                }
            }
        }
        if json {
            b = b.header(header::CONTENT_TYPE, "application/json");
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(body.unwrap_or_else(Body::empty)).expect("request")
    }

    /// A JSON request (`body` `None` sends no body).
    pub async fn call(&self, method: Method, path: &str, auth: &Auth, body: Option<Value>) -> Resp {
        self.call_with(method, path, auth, &[], body).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Resp {
        let has_body = body.is_some();
        let body = body.map(|v| Body::from(serde_json::to_vec(&v).expect("json")));
        self.send(Self::build(method, path, auth, headers, body, has_body))
            .await
    }

    pub async fn get(&self, path: &str, auth: &Auth) -> Resp {
        self.call(Method::GET, path, auth, None).await
    }
    pub async fn post(&self, path: &str, auth: &Auth, body: Value) -> Resp {
        self.call(Method::POST, path, auth, Some(body)).await
    }
    pub async fn patch(&self, path: &str, auth: &Auth, body: Value) -> Resp {
        self.call(Method::PATCH, path, auth, Some(body)).await
    }
    pub async fn delete(&self, path: &str, auth: &Auth) -> Resp {
        self.call(Method::DELETE, path, auth, None).await
    }

    /// A bearer token for `user`, created directly through the use case.
    pub async fn token_for(&self, user: &User) -> Auth {
        let caller = Caller {
            actor: formula_app::accounts::actor_for(user),
            ctx: RequestCtx::default(),
        };
        let created = self
            .services
            .create_token(&caller, "tests", None)
            .await
            .expect("create token");
        Auth::Bearer(created.secret)
    }

    /// The first administrator, created without an actor (as `create-admin` does).
    pub async fn admin(&self) -> TestUser {
        let input = NewUser {
            email: "admin@example.com".into(),
            name: "Ada Admin".into(),
            password: PASSWORD.into(),
            role: Role::Admin,
            job_title: None,
            phone: None,
            skills: Vec::new(),
            client_id: None,
        };
        let user = self
            .services
            .insert_user_unchecked(input, None, &RequestCtx::default())
            .await
            .expect("first admin");
        let auth = self.token_for(&user).await;
        TestUser { user, auth }
    }

    /// Creates a user through the API (as `admin`) and gives them a bearer token.
    pub async fn user(
        &self,
        admin: &TestUser,
        role: &str,
        name: &str,
        client_id: Option<&str>,
    ) -> TestUser {
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        let mut body = json!({"email": email, "name": name, "password": PASSWORD, "role": role});
        if let Some(c) = client_id {
            body["client_id"] = json!(c);
        }
        let resp = self
            .post("/api/v1/users", &admin.auth, body)
            .await
            .expect(201);
        let id: uuid::Uuid = id_of(&resp.json()).parse().expect("uuid");
        let user = self
            .db
            .get_user(id)
            .await
            .expect("store")
            .expect("user exists");
        let auth = self.token_for(&user).await;
        TestUser { user, auth }
    }

    /// Signs in through the API; returns the cookie auth (with its CSRF token) and the response.
    pub async fn login(&self, email: &str, password: &str) -> (Auth, Resp) {
        let resp = self
            .post(
                "/api/v1/auth/login",
                &Auth::None,
                json!({"email": email, "password": password}),
            )
            .await
            .expect(200);
        let cookie = resp.header("set-cookie").expect("set-cookie");
        let token = cookie
            .split(';')
            .next()
            .and_then(|kv| kv.split_once('='))
            .map(|(_, v)| v.to_owned())
            .expect("cookie value");
        let csrf = resp.json()["csrf_token"].as_str().map(str::to_owned);
        (Auth::Cookie { token, csrf }, resp)
    }

    pub async fn client(&self, auth: &Auth, name: &str) -> String {
        let resp = self
            .post("/api/v1/clients", auth, json!({"name": name}))
            .await
            .expect(201);
        id_of(&resp.json())
    }

    pub async fn project(
        &self,
        auth: &Auth,
        name: &str,
        client_id: &str,
        manager_id: &str,
    ) -> String {
        let body = json!({"name": name, "client_id": client_id, "manager_id": manager_id, "sector": "hospitality", "business_line": "millwork"});
        let resp = self.post("/api/v1/projects", auth, body).await.expect(201);
        id_of(&resp.json())
    }

    pub async fn member(&self, auth: &Auth, project_id: &str, user: &TestUser, role: &str) {
        self.post(
            &format!("/api/v1/projects/{project_id}/members"),
            auth,
            json!({"user_id": user.id(), "role": role}),
        )
        .await
        .expect(200);
    }

    pub async fn task(&self, auth: &Auth, project_id: &str, body: Value) -> Value {
        self.post(&format!("/api/v1/projects/{project_id}/tasks"), auth, body)
            .await
            .expect(201)
            .json()
    }
}

/// Every file under `dir`, recursively (to check that nothing was left behind).
pub fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

pub fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

/// Collects what a `tracing_subscriber` writes, for tests that read the log lines.
#[derive(Clone, Default)]
pub struct Captured(pub Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}
