//! The HTTP client of a remote registry (the API of [`crate::server`]).
//!
//! It trusts nothing it receives: every manifest is parsed and its
//! signature verified here, and every blob is hashed as it streams in and
//! refused unless its BLAKE3 and size are the manifest's. Uploads stream
//! from the file and are hashed on the way out, so the digests a publisher
//! signs are its own, checked against what the server computed.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::{OnceCell, mpsc};

use crate::error::{Error, Result};
use crate::store::{FiledTranscript, Released};
use crate::{ContentHash, Digester, Digests, Release, SignedManifest};

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the server may stay silent mid-request.
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Pieces of an upload, in bytes.
const CHUNK: usize = 256 << 10;

/// A remote registry.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    /// What `GET /v1` said, once asked.
    info: Arc<OnceCell<Info>>,
}

/// What `GET /v1` says.
#[derive(Debug, Deserialize)]
struct Info {
    max_blob_bytes: u64,
}

impl Client {
    /// A client of the registry at `url` (`http://host:port`).
    pub fn new(url: &str) -> Result<Self> {
        let base = url.trim_end_matches('/').to_string();
        let transport = |message: String| Error::Transport {
            url: base.clone(),
            message,
        };
        if !base.starts_with("http://") {
            return Err(transport(
                "only http:// is supported (run the registry on loopback or behind a TLS proxy)"
                    .into(),
            ));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .build()
            .map_err(|e| transport(e.to_string()))?;
        Ok(Self {
            base,
            http,
            info: Arc::default(),
        })
    }

    /// The registry's URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// Uploads the file at `path` as a blob, hashing it on the way; the
    /// server's digests must be the same.
    pub async fn upload(&self, path: &Path) -> Result<Digests> {
        let io = |what: &str| Error::io(format!("cannot {what} {}", path.display()));
        let file = std::fs::File::open(path).map_err(io("open"))?;
        let size = file.metadata().map_err(io("read"))?.len();
        let limit = self.max_blob_bytes().await?;
        if size > limit {
            return Err(Error::TooLarge { size, limit });
        }
        let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(16);
        let reader = tokio::task::spawn_blocking(move || read_and_hash(file, &tx));
        let body = reqwest::Body::wrap_stream(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        }));
        let request = self
            .http
            .put(self.at("/v1/blobs"))
            .header(reqwest::header::CONTENT_LENGTH, size)
            .body(body);
        let sent: Result<Digests> = self.json(request).await;
        let read = reader.await.map_err(std::io::Error::other).and_then(|r| r);
        // The server's refusal explains a stopped upload better than the
        // reader's "stopped".
        let theirs = sent?;
        let ours = read.map_err(io("read"))?;
        if theirs != ours {
            return Err(Error::Corrupt {
                hash: ours.blake3,
                location: format!("the upload to {}", self.base),
                detail: format!("the server stored {theirs:?}, we sent {ours:?}"),
            });
        }
        Ok(ours)
    }

    /// The server's blob size limit, asked once.
    async fn max_blob_bytes(&self) -> Result<u64> {
        let info = self
            .info
            .get_or_try_init(|| self.json::<Info>(self.http.get(self.at("/v1"))))
            .await?;
        Ok(info.max_blob_bytes)
    }

    /// Publishes `signed` (its blob must be uploaded).
    pub async fn release(&self, signed: &SignedManifest) -> Result<Released> {
        let request = self
            .http
            .post(self.at("/v1/releases"))
            .body(signed.to_json()?);
        let mut answer: Value = self.json(request).await?;
        let manifest = SignedManifest::from_value(answer["manifest"].take())?;
        match answer["status"].as_str() {
            Some("published") => Ok(Released::Published(manifest)),
            Some("unchanged") => Ok(Released::Unchanged(manifest)),
            other => Err(self.unexpected(format!("status {other:?}"))),
        }
    }

    /// Files the epoch transcript `bytes`; where the server filed it.
    pub async fn put_transcript(&self, bytes: Vec<u8>) -> Result<FiledTranscript> {
        self.json(self.http.put(self.at("/v1/transcripts")).body(bytes))
            .await
    }

    /// The bytes of the transcript filed under `root`, as the server sent
    /// them: the caller checks that they chain to `root`.
    pub async fn transcript(&self, root: &ContentHash) -> Result<Vec<u8>> {
        let response = self
            .send(self.http.get(self.at(&format!("/v1/transcripts/{root}"))))
            .await?;
        let bytes = response.bytes().await.map_err(|e| self.transport(&e))?;
        Ok(bytes.to_vec())
    }

    /// The verified manifest of `release`.
    pub async fn manifest(&self, release: &Release) -> Result<SignedManifest> {
        let path = format!("/v1/releases/{}/{}", release.name, release.version);
        let value: Value = self.json(self.http.get(self.at(&path))).await?;
        SignedManifest::from_value(value)
    }

    /// The verified manifests of the releases of blob `hash`.
    pub async fn manifests_of(&self, hash: &ContentHash) -> Result<Vec<SignedManifest>> {
        self.releases(&format!("/v1/blobs/{hash}/releases")).await
    }

    /// Every release's verified manifest.
    pub async fn list(&self) -> Result<Vec<SignedManifest>> {
        self.releases("/v1/releases").await
    }

    /// Streams the blob `expected` describes into `out`, refusing it
    /// unless its hash and size match. On error, `out` holds garbage.
    pub async fn download(&self, expected: &Digests, out: &mut impl Write) -> Result<()> {
        let hash = expected.blake3;
        let url = self.at(&format!("/v1/blobs/{hash}"));
        let response = self.send(self.http.get(&url)).await?;
        let mut stream = response.bytes_stream();
        let mut hasher = blake3::Hasher::new();
        let mut size = 0u64;
        let corrupt = |detail: String| Error::Corrupt {
            hash,
            location: url.clone(),
            detail,
        };
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.transport(&e))?;
            size += chunk.len() as u64;
            if size > expected.size {
                return Err(corrupt(format!(
                    "more than the {} bytes of its manifest",
                    expected.size
                )));
            }
            hasher.update(&chunk);
            out.write_all(&chunk)
                .map_err(Error::io("cannot write the downloaded component"))?;
        }
        let actual = ContentHash::from_bytes(*hasher.finalize().as_bytes());
        if actual != hash || size != expected.size {
            return Err(corrupt(format!("its {size} bytes hash to {actual}")));
        }
        Ok(())
    }

    async fn releases(&self, path: &str) -> Result<Vec<SignedManifest>> {
        let mut answer: Value = self.json(self.http.get(self.at(path))).await?;
        match answer["releases"].take() {
            Value::Array(items) => items.into_iter().map(SignedManifest::from_value).collect(),
            other => Err(self.unexpected(format!("releases {other}"))),
        }
    }

    fn at(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends `request`; a non-success answer becomes [`Error::Remote`].
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response> {
        let response = request.send().await.map_err(|e| self.transport(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.bytes().await.unwrap_or_default();
        Err(self.remote(status, &body))
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T> {
        let response = self.send(request).await?;
        let body = response.bytes().await.map_err(|e| self.transport(&e))?;
        serde_json::from_slice(&body).map_err(|e| self.unexpected(e.to_string()))
    }

    fn remote(&self, status: StatusCode, body: &[u8]) -> Error {
        let parsed: Option<(String, String)> =
            serde_json::from_slice::<Value>(body).ok().and_then(|v| {
                let error = v.get("error")?;
                Some((
                    error.get("code")?.as_str()?.into(),
                    error.get("message")?.as_str()?.into(),
                ))
            });
        let (code, message) = parsed.unwrap_or_else(|| {
            (
                "http".into(),
                String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
            )
        });
        Error::Remote {
            url: self.base.clone(),
            status: status.as_u16(),
            code,
            message,
        }
    }

    fn transport(&self, error: &reqwest::Error) -> Error {
        let mut message = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            message = format!("{message}: {cause}");
            source = cause.source();
        }
        Error::Transport {
            url: self.base.clone(),
            message,
        }
    }

    fn unexpected(&self, what: String) -> Error {
        Error::Transport {
            url: self.base.clone(),
            message: format!("unexpected answer: {what}"),
        }
    }
}

/// Reads `file` in chunks into `tx`, hashing them; the digests of all of it.
fn read_and_hash(
    mut file: std::fs::File,
    tx: &mpsc::Sender<std::io::Result<Bytes>>,
) -> std::io::Result<Digests> {
    let mut digester = Digester::default();
    loop {
        let mut chunk = vec![0u8; CHUNK];
        let n = file.read(&mut chunk)?;
        if n == 0 {
            return Ok(digester.finish());
        }
        chunk.truncate(n);
        digester.update(&chunk);
        if tx.blocking_send(Ok(Bytes::from(chunk))).is_err() {
            return Err(std::io::Error::other("the upload stopped"));
        }
    }
}
