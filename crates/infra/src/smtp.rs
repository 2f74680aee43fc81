//! Email delivery over SMTP (lettre), implementing the `Mailer` port.
//! TLS is required unless the operator explicitly chooses a plain local relay.

use std::time::Duration;

use async_trait::async_trait;
use formula_app::ports::{MailMessage, Mailer};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (port 587); refuses servers without it.
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
    /// No encryption: only for a relay on the same host or private network.
    None,
}

/// Settings for [`SmtpMailer`].
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// User name and password, when the server requires authentication.
    pub credentials: Option<(String, String)>,
    /// The sender, `Name <address>` or a bare address.
    pub from: String,
    /// Connection and command timeout.
    pub timeout: Duration,
}

/// Sends mail through an SMTP server.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// Builds the transport; fails on an unusable host or sender address.
    pub fn new(settings: SmtpSettings) -> Result<Self, String> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| format!("SMTP_FROM is not a valid sender: {e}"))?;
        let builder = match settings.tls {
            SmtpTls::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                    .map_err(|e| format!("SMTP_HOST: {e}"))?
            }
            SmtpTls::Implicit => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)
                .map_err(|e| format!("SMTP_HOST: {e}"))?,
            SmtpTls::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
        };
        let mut builder = builder.port(settings.port).timeout(Some(settings.timeout));
        if let Some((user, password)) = settings.credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(SmtpMailer {
            transport: builder.build(),
            from,
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    fn is_configured(&self) -> bool {
        true
    }

    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("invalid recipient: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| format!("cannot build the message: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP delivery failed: {e}"))
    }

    async fn send_message(&self, m: &MailMessage) -> Result<(), String> {
        let to: Mailbox =
            m.to.parse()
                .map_err(|e| format!("invalid recipient: {e}"))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .message_id(Some(m.message_id.clone()));
        for (name, value) in &m.headers {
            builder = builder.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(name),
                value.clone(),
            ));
        }
        // The text (with its HTML alternative when there is one), then each attached file:
        // multipart/mixed when files are attached.
        let body = if m.html.is_empty() {
            MultiPart::mixed().singlepart(SinglePart::plain(m.text.clone()))
        } else {
            MultiPart::alternative_plain_html(m.text.clone(), m.html.clone())
        };
        let body = if m.attachments.is_empty() {
            body
        } else {
            let mut mixed = if m.html.is_empty() {
                body
            } else {
                MultiPart::mixed().multipart(body)
            };
            for a in &m.attachments {
                let kind = ContentType::parse(&a.content_type)
                    .map_err(|e| format!("attachment {} has no valid type: {e}", a.file_name))?;
                mixed = mixed
                    .singlepart(Attachment::new(a.file_name.clone()).body(a.bytes.clone(), kind));
            }
            mixed
        };
        let message = builder
            .multipart(body)
            .map_err(|e| format!("cannot build the message: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP delivery failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    /// A minimal SMTP server: accepts one message and returns the raw DATA section.
    async fn fake_server(listener: TcpListener) -> String {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
        let mut data = String::new();
        let mut in_data = false;
        while let Some(line) = lines.next_line().await.unwrap() {
            if in_data {
                if line == "." {
                    in_data = false;
                    write.write_all(b"250 queued\r\n").await.unwrap();
                } else {
                    data.push_str(&line);
                    data.push('\n');
                }
                continue;
            }
            let upper = line.to_ascii_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                b"250-fake\r\n250 8BITMIME\r\n"
            } else if upper.starts_with("DATA") {
                in_data = true;
                b"354 go ahead\r\n"
            } else if upper.starts_with("QUIT") {
                write.write_all(b"221 bye\r\n").await.unwrap();
                break;
            } else {
                b"250 ok\r\n"
            };
            write.write_all(reply).await.unwrap();
        }
        data
    }

    #[tokio::test]
    async fn delivers_a_message_to_an_smtp_server() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(fake_server(listener));
        let mailer = SmtpMailer::new(SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            tls: SmtpTls::None,
            credentials: None,
            from: "Formula PM <pm@example.com>".into(),
            timeout: Duration::from_secs(10),
        })
        .unwrap();
        mailer
            .send(
                "ana@example.com",
                "Reset your password",
                "Open this link: https://x/reset/abc",
            )
            .await
            .unwrap();
        let data = server.await.unwrap();
        assert!(data.contains("Subject: Reset your password"), "{data}");
        assert!(data.contains("To: ana@example.com"), "{data}");
        assert!(data.contains("https://x/reset/abc"), "{data}");
    }

    #[tokio::test]
    async fn delivers_a_message_with_a_pdf_attached() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(fake_server(listener));
        let mailer = SmtpMailer::new(SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            tls: SmtpTls::None,
            credentials: None,
            from: "Formula PM <pm@example.com>".into(),
            timeout: Duration::from_secs(10),
        })
        .unwrap();
        // A PDF's second line is binary (as real ones are), so it travels base64-encoded.
        let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n\x00\x01\n%%EOF\n".to_vec();
        mailer
            .send_message(&MailMessage {
                to: "ana@studio.example".into(),
                subject: "RFI-003: Door hardware".into(),
                text: "Please answer the attached RFI.".into(),
                html: String::new(),
                headers: Vec::new(),
                message_id: "<rfi-3@formula-pm.invalid>".into(),
                attachments: vec![formula_app::ports::MailAttachment {
                    file_name: "RFI-003.pdf".into(),
                    content_type: "application/pdf".into(),
                    bytes: pdf.clone(),
                }],
            })
            .await
            .unwrap();
        let data = server.await.unwrap();
        assert!(data.contains("multipart/mixed"), "{data}");
        assert!(data.contains("Please answer the attached RFI."), "{data}");
        assert!(data.contains("Content-Type: application/pdf"), "{data}");
        assert!(
            data.contains("Content-Disposition: attachment; filename=\"RFI-003.pdf\""),
            "{data}"
        );
        // The file travels base64-encoded; decoded it is the same bytes.
        let part = data.split("filename=\"RFI-003.pdf\"").nth(1).unwrap();
        let encoded: String = part
            .lines()
            .skip(1) // the rest of the line that names the file
            .skip_while(|l| !l.is_empty())
            .skip(1)
            .take_while(|l| !l.starts_with("--"))
            .collect();
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .unwrap();
        assert_eq!(decoded, pdf);
    }

    #[tokio::test]
    async fn reports_an_unreachable_server() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let mailer = SmtpMailer::new(SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            tls: SmtpTls::None,
            credentials: None,
            from: "pm@example.com".into(),
            timeout: Duration::from_secs(5),
        })
        .unwrap();
        let err = mailer.send("ana@example.com", "s", "b").await.unwrap_err();
        assert!(err.contains("SMTP delivery failed"), "{err}");
    }
}
