//! A real HTTP receiver on 127.0.0.1 for the webhook tests: records every request's JSON body
//! and answers the statuses it is told (then 200). It can be stopped and started again on the
//! same port, to play a receiver that is down.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;

#[derive(Clone, Default)]
pub struct Log {
    /// Every request's body, with the status answered.
    pub hits: Arc<Mutex<Vec<(u16, serde_json::Value)>>>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
}

impl Log {
    /// The bodies answered 2xx.
    pub fn delivered(&self) -> Vec<serde_json::Value> {
        self.hits.lock().unwrap().iter().filter(|(s, _)| *s < 300).map(|(_, b)| b.clone()).collect()
    }

    pub fn hit_count(&self) -> usize {
        self.hits.lock().unwrap().len()
    }
}

pub struct Receiver {
    pub addr: SocketAddr,
    pub log: Log,
    task: tokio::task::JoinHandle<()>,
}

async fn hook(State(log): State<Log>, body: String) -> StatusCode {
    let status = log.statuses.lock().unwrap().pop_front().unwrap_or(200);
    let json = serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
    log.hits.lock().unwrap().push((status, json));
    StatusCode::from_u16(status).unwrap()
}

impl Receiver {
    /// Starts on a free port; the first requests get `statuses`, later ones 200.
    pub async fn start(statuses: &[u16]) -> Self {
        let log = Log::default();
        log.statuses.lock().unwrap().extend(statuses);
        Self::serve("127.0.0.1:0".parse().unwrap(), log).await
    }

    async fn serve(addr: SocketAddr, log: Log) -> Self {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().route("/hook", post(hook)).with_state(log.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { addr, log, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Stops listening (connections are refused) until [`Receiver::restart`].
    pub fn stop(&self) {
        self.task.abort();
    }

    /// Listens again on the same port, keeping the log.
    pub async fn restart(mut self) -> Self {
        self.task.abort();
        (&mut self.task).await.ok();
        Self::serve(self.addr, self.log.clone()).await
    }
}
