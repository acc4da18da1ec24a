//! Evaluating source for an editor, a curl request or a page: compile and
//! push (compiler.rs), then wait for each form's values. The first page to
//! acknowledge a patch answers for it; when no page got the patch, or every
//! page it went to disconnected before acknowledging, the headless runtime
//! answers (it loads every patch anyway). A page that stays silent past the
//! timeout falls back to the headless answer too, said so in the outcome.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::{timeout_at, Instant};

use super::compiler::{CompileError, CompileRequest, CompiledForm, CompilerHandle};
use super::hub::{AckEvent, Delivery, Hub, PageId};
use super::protocol::{EntryResult, PatchAck};
use crate::source::Pos;

/// Who answered for a patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnsweredBy {
    Page(PageId),
    Headless,
}

/// What one top-level form did.
#[derive(Debug, Clone, PartialEq)]
pub struct FormOutcome {
    pub pos: Pos,
    pub patch_id: Option<u64>,
    pub answered_by: Option<AnsweredBy>,
    /// Registry entries that ran, in order.
    pub results: Vec<EntryResult>,
    pub output: String,
    pub stderr: String,
    /// Why the patch did not load, or why nothing answered.
    pub failure: Option<String>,
    /// Said when the values come from the headless runtime although pages
    /// had the patch.
    pub note: Option<String>,
}

impl FormOutcome {
    /// The form's value: its last entry's, `nil` for a form with no entry;
    /// None when it failed or threw.
    pub fn value(&self) -> Option<&str> {
        if self.failure.is_some() {
            return None;
        }
        match self.results.last() {
            Some(last) => last.value.as_deref(),
            None if self.patch_id.is_none() => Some("nil"),
            None => None,
        }
    }

    /// Everything that went wrong, one message each.
    pub fn errors(&self) -> Vec<String> {
        let mut errors: Vec<String> = self.failure.iter().cloned().collect();
        errors.extend(
            self.results
                .iter()
                .filter_map(|r| r.error.as_ref())
                .map(|thrown| format!("uncaught exception: {thrown}")),
        );
        errors
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EvalOutcome {
    /// The namespace after the forms.
    pub ns: String,
    pub forms: Vec<FormOutcome>,
}

impl EvalOutcome {
    pub fn output(&self) -> String {
        self.forms.iter().map(|f| f.output.as_str()).collect()
    }

    pub fn values(&self) -> Vec<String> {
        self.forms
            .iter()
            .filter_map(|f| f.value().map(str::to_string))
            .collect()
    }

    pub fn errors(&self) -> Vec<String> {
        self.forms.iter().flat_map(FormOutcome::errors).collect()
    }
}

/// Compiles, pushes and collects: the one way every interface evaluates.
#[derive(Clone)]
pub struct Evaluator {
    pub compiler: CompilerHandle,
    pub hub: Arc<Hub>,
    /// How long to wait for a page's (or the headless runtime's) answer.
    pub timeout: Duration,
}

impl Evaluator {
    pub async fn evaluate(&self, request: CompileRequest) -> Result<EvalOutcome, CompileError> {
        self.evaluate_answered_by(request, None).await
    }

    /// Evaluates what `page` sent: its own acknowledgement answers, so the
    /// values are that page's (other pages run the forms too).
    pub async fn evaluate_for_page(
        &self,
        request: CompileRequest,
        page: PageId,
    ) -> Result<EvalOutcome, CompileError> {
        self.evaluate_answered_by(request, Some(page)).await
    }

    async fn evaluate_answered_by(
        &self,
        request: CompileRequest,
        preferred: Option<PageId>,
    ) -> Result<EvalOutcome, CompileError> {
        let compiled = self.compiler.compile(request).await?;
        let mut forms = Vec::with_capacity(compiled.forms.len());
        for form in compiled.forms {
            forms.push(self.collect_answered_by(form, preferred).await);
        }
        Ok(EvalOutcome {
            ns: compiled.ns,
            forms,
        })
    }

    /// Waits for the answer to one form's patch.
    pub async fn collect(&self, form: CompiledForm) -> FormOutcome {
        self.collect_answered_by(form, None).await
    }

    async fn collect_answered_by(
        &self,
        form: CompiledForm,
        preferred: Option<PageId>,
    ) -> FormOutcome {
        let mut outcome = FormOutcome {
            pos: form.pos,
            patch_id: None,
            answered_by: None,
            results: Vec::new(),
            output: String::new(),
            stderr: String::new(),
            failure: None,
            note: None,
        };
        let Some(delivery) = form.delivery else {
            return outcome;
        };
        let id = delivery.id;
        outcome.patch_id = Some(id);
        let mut waiting = Waiting {
            hub: &self.hub,
            id,
            answered: false,
        };
        let answer = await_answer(delivery, preferred, self.timeout).await;
        waiting.answered = true;
        match answer {
            Answer::Ack {
                ack,
                by,
                silent_pages,
            } => {
                if silent_pages {
                    outcome.note = Some(format!(
                        "no page acknowledged patch {id} within {:?}; values from the headless runtime",
                        self.timeout
                    ));
                }
                outcome.answered_by = Some(by);
                outcome.output = ack.output;
                outcome.stderr = ack.stderr;
                outcome.results = ack.results;
                if !ack.ok {
                    outcome.failure = Some(format!(
                        "patch {id} failed to load: {}",
                        ack.error.as_deref().unwrap_or("no reason given")
                    ));
                }
            }
            Answer::Nothing => {
                let mut failure =
                    format!("no runtime answered patch {id} within {:?}", self.timeout);
                if self.hub.interrupt_headless(id) {
                    failure.push_str("; the headless runtime's run of it was stopped");
                }
                outcome.failure = Some(failure);
            }
        }
        outcome
    }
}

/// An evaluation waiting for patch `id`'s answer. Dropped unanswered (the
/// editor interrupted it, or its HTTP client went away), it stops the
/// headless runtime's run of the patch: a runaway loop there would hold up
/// every later load.
struct Waiting<'hub> {
    hub: &'hub Hub,
    id: u64,
    answered: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if !self.answered {
            self.hub.interrupt_headless(self.id);
        }
        self.hub.forget(self.id);
    }
}

enum Answer {
    Ack {
        ack: PatchAck,
        by: AnsweredBy,
        /// True when pages had the patch but none answered in time.
        silent_pages: bool,
    },
    Nothing,
}

/// The first page to acknowledge answers, unless `preferred` is one of the
/// pages the patch went to: then it does, and another page's ack stands in
/// only if it disconnects first or stays silent past the deadline. With no
/// page answering, the headless runtime does.
async fn await_answer(
    mut delivery: Delivery,
    preferred: Option<PageId>,
    timeout: Duration,
) -> Answer {
    // The time to answer runs from the send, and, for the headless runtime,
    // from when it began running the patch: while it is still starting or
    // running the patches before this one, nothing has timed out yet.
    let mut deadline = Instant::now() + timeout;
    let mut headless_started = !delivery.headless;
    let mut waiting: HashSet<PageId> = delivery.pages.iter().copied().collect();
    let mut headless = None;
    let mut stand_in = None;
    let page_answer = |page, ack| Answer::Ack {
        ack,
        by: AnsweredBy::Page(page),
        silent_pages: false,
    };
    loop {
        let awaits_preferred = preferred.is_some_and(|p| waiting.contains(&p));
        let next = if headless_started {
            timeout_at(deadline, delivery.acks.recv()).await
        } else {
            Ok(delivery.acks.recv().await)
        };
        match next {
            Ok(Some(AckEvent::Page(page, ack))) if waiting.contains(&page) => {
                if !awaits_preferred || preferred == Some(page) {
                    return page_answer(page, ack);
                }
                stand_in.get_or_insert((page, ack));
            }
            Ok(Some(AckEvent::Page(..))) => {}
            Ok(Some(AckEvent::PageGone(page))) => {
                waiting.remove(&page);
                if preferred == Some(page) {
                    if let Some((page, ack)) = stand_in.take() {
                        return page_answer(page, ack);
                    }
                }
            }
            Ok(Some(AckEvent::HeadlessStarted)) => {
                headless_started = true;
                deadline = deadline.max(Instant::now() + timeout);
            }
            Ok(Some(AckEvent::HeadlessGone)) => headless_started = true,
            Ok(Some(AckEvent::Headless(ack))) => headless = Some(ack),
            Ok(None) | Err(_) => {
                if let Some((page, ack)) = stand_in.take() {
                    return page_answer(page, ack);
                }
                return match headless {
                    Some(ack) => Answer::Ack {
                        ack,
                        by: AnsweredBy::Headless,
                        silent_pages: !waiting.is_empty(),
                    },
                    None => Answer::Nothing,
                };
            }
        }
        if waiting.is_empty() {
            if let Some(ack) = headless.take() {
                return Answer::Ack {
                    ack,
                    by: AnsweredBy::Headless,
                    silent_pages: false,
                };
            }
        }
    }
}
