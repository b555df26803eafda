//! A call's stdout and stderr: the first `stdio-bytes` of each are kept, the
//! rest is accepted and counted, never refused. WASI's memory pipe closes a
//! full stream instead, which makes a plugin's next print fail (a Rust
//! `println!` then panics) and leaves no trace of how much was lost; here the
//! plugin goes on and the call reports the lines it cut in `dropped-logs`.

use bytes::Bytes;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// Most bytes one write is offered; a write may be larger than what is kept.
const WRITE_PERMIT: usize = 1 << 20;

/// One output stream of a call, shared by every handle WASI makes of it.
#[derive(Clone)]
pub(crate) struct KeptOutput(Arc<Mutex<Kept>>);

struct Kept {
    cap: usize,
    bytes: Vec<u8>,
    /// Bytes past the cap.
    cut: u64,
    /// Lines those bytes held, a line cut short counted.
    cut_lines: u32,
    /// Whether the last byte cut ended a line.
    last_cut_newline: bool,
}

impl KeptOutput {
    /// A stream keeping its first `cap` bytes.
    pub(crate) fn new(cap: usize) -> Self {
        Self(Arc::new(Mutex::new(Kept {
            cap,
            bytes: Vec::new(),
            cut: 0,
            cut_lines: 0,
            last_cut_newline: false,
        })))
    }

    /// The bytes kept, lossily decoded, and the lines cut.
    pub(crate) fn contents(&self) -> (String, u32) {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        (
            String::from_utf8_lossy(&kept.bytes).into_owned(),
            kept.cut_lines,
        )
    }

    fn write_bytes(&self, buf: &[u8]) {
        let mut k = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let room = k.cap.saturating_sub(k.bytes.len()).min(buf.len());
        let (kept, cut) = buf.split_at(room);
        k.bytes.extend_from_slice(kept);
        let Some((_, before_last)) = cut.split_last() else {
            return;
        };
        // Once the cap is reached nothing more is kept, so the first byte
        // cut is of a line not counted yet (kept in part or not at all), as
        // is each byte after a cut newline.
        let starts_line = k.cut == 0 || k.last_cut_newline;
        let begun = before_last.iter().filter(|&&b| b == b'\n').count();
        let lines = u32::try_from(begun).unwrap_or(u32::MAX);
        k.cut_lines = k
            .cut_lines
            .saturating_add(lines)
            .saturating_add(u32::from(starts_line));
        k.last_cut_newline = cut.ends_with(b"\n");
        k.cut += cut.len() as u64;
    }
}

#[async_trait::async_trait]
impl OutputStream for KeptOutput {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.write_bytes(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(WRITE_PERMIT)
    }
}

#[async_trait::async_trait]
impl Pollable for KeptOutput {
    async fn ready(&mut self) {}
}

impl AsyncWrite for KeptOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.write_bytes(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for KeptOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for KeptOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_past_the_cap_are_counted_as_lines_cut() {
        let out = KeptOutput::new(8);
        out.write_bytes(b"abc\ndef\n");
        assert_eq!(out.contents(), ("abc\ndef\n".into(), 0));
        out.write_bytes(b"ghi\njkl\nmn");
        assert_eq!(out.contents(), ("abc\ndef\n".into(), 3));

        let out = KeptOutput::new(6);
        out.write_bytes(b"abc\ndef\nghi\n");
        // `def` is cut short, `ghi` dropped.
        assert_eq!(out.contents(), ("abc\nde".into(), 2));
    }
}
