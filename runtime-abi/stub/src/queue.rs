//! clojure.lang.PersistentQueue (`clojure.lang.PersistentQueue/EMPTY`, the
//! runtime var `jank.runtime/empty-queue`), built as Clojure builds it: a
//! front seq and a rear vector ([`Queue`]), so `conj` (onto the rear) and
//! `pop` (off the front) are amortized O(1), and its seq
//! (`PersistentQueue$Seq`, [`Object::QueueSeq`]) walks the front then the
//! rear without copying either.
//!
//! Everything else a queue does follows from what it is: sequential (so `=`
//! and `hash` are a vector's), counted, an IPersistentList (`list?`) but not
//! a seq, printed as `#object[clojure.lang.PersistentQueue 0x… "…@hashCode"]`.

use crate::coll::vector_from;
use crate::error::R;
use crate::object::{alloc, alloc_permanent, empty_list, nil, Obj, Object, Queue};
use crate::seq::{list_of, seq, seq_first, seq_more};

thread_local! {
    /// `PersistentQueue/EMPTY`: one object, so `(pop EMPTY)` and an `empty`
    /// without metadata are identical to it, as on the JVM.
    static EMPTY: Obj = alloc_permanent(Object::Queue(Queue {
        count: 0,
        front: nil(),
        rear: nil(),
    }));
}

/// The empty queue, `clojure.lang.PersistentQueue/EMPTY`.
pub fn empty_queue() -> Obj {
    EMPTY.with(|empty| *empty)
}

/// An empty queue of its own, to carry metadata the shared one must not.
pub fn fresh_empty() -> Obj {
    alloc(Object::Queue(Queue {
        count: 0,
        front: nil(),
        rear: nil(),
    }))
}

/// What follows the first value of a queue's front (a list or a vector's
/// seq, whose `more` is the empty list at their end); None at the end.
fn front_next(front: Obj) -> Option<Obj> {
    let more = seq_more(front);
    (!matches!(*more, Object::EmptyList)).then_some(more)
}

/// `(conj queue x)`: `x` joins the rear; into an empty queue it becomes the
/// front, a one-value list (PersistentQueue.cons).
pub fn conj(queue: &Queue, x: Obj) -> Obj {
    if queue.front.is_nil() {
        return alloc(Object::Queue(Queue {
            count: queue.count + 1,
            front: list_of(&[x]),
            rear: nil(),
        }));
    }
    let mut items = match &*queue.rear {
        Object::Vector(rear) => rear.0.clone(),
        _ => imbl::Vector::new(),
    };
    items.push_back(x);
    alloc(Object::Queue(Queue {
        count: queue.count + 1,
        front: queue.front,
        rear: vector_from(items),
    }))
}

/// `(peek queue)`: the front value, nil when the queue is empty.
pub fn peek(queue: &Queue) -> Obj {
    if queue.front.is_nil() {
        nil()
    } else {
        seq_first(queue.front)
    }
}

/// `(pop queue)`: the queue without its front value; the empty queue's pop
/// is itself. When the front runs out, the rear's seq becomes the front.
pub fn pop(value: Obj, queue: &Queue) -> R {
    if queue.front.is_nil() {
        return Ok(value);
    }
    let (front, rear) = match front_next(queue.front) {
        Some(front) => (front, queue.rear),
        None => (seq(queue.rear)?.unwrap_or_else(nil), nil()),
    };
    Ok(alloc(Object::Queue(Queue {
        count: queue.count - 1,
        front,
        rear,
    })))
}

/// `(seq queue)`: None when empty.
pub fn queue_seq(queue: &Queue) -> R<Option<Obj>> {
    if queue.front.is_nil() {
        return Ok(None);
    }
    let rear = seq(queue.rear)?.unwrap_or_else(nil);
    Ok(Some(alloc(Object::QueueSeq(queue.front, rear))))
}

/// What follows the first value of a queue's seq over `front` then `rear`
/// (PersistentQueue$Seq.more): the rest of the front, then the rear, then ().
pub fn seq_rest(front: Obj, rear: Obj) -> Obj {
    match front_next(front) {
        Some(front) => alloc(Object::QueueSeq(front, rear)),
        None if rear.is_nil() => empty_list(),
        None => alloc(Object::QueueSeq(rear, nil())),
    }
}

/// A queue with its own copy of everything but the values (for `with-meta`).
pub fn copy(queue: &Queue) -> Object {
    Object::Queue(Queue {
        count: queue.count,
        front: queue.front,
        rear: queue.rear,
    })
}

/// Installs `jank.runtime/empty-queue`, the var
/// `clojure.lang.PersistentQueue/EMPTY` compiles to.
pub fn install() {
    crate::var::bind_root(
        crate::var::intern_raw("jank.runtime", "empty-queue"),
        empty_queue(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::int;
    use crate::print::pr_str;

    fn queue_of(values: &[i64]) -> Obj {
        values.iter().fold(empty_queue(), |q, v| match &*q {
            Object::Queue(queue) => conj(queue, int(*v)),
            _ => unreachable!("conj of a queue is a queue"),
        })
    }

    fn as_queue(value: &Obj) -> &Queue {
        match &**value {
            Object::Queue(queue) => queue,
            _ => panic!("not a queue"),
        }
    }

    #[test]
    fn first_in_first_out_across_front_and_rear() {
        let mut q = queue_of(&[1, 2, 3]);
        assert_eq!(
            pr_str(seq(q).ok().unwrap().unwrap()).ok().unwrap(),
            "(1 2 3)"
        );
        let mut popped = Vec::new();
        for next in 4..7 {
            popped.push(pr_str(peek(as_queue(&q))).ok().unwrap());
            q = pop(q, as_queue(&q)).ok().unwrap();
            q = conj(as_queue(&q), int(next));
        }
        assert_eq!(popped, ["1", "2", "3"]);
        assert_eq!(as_queue(&q).count, 3);
        assert_eq!(
            pr_str(seq(q).ok().unwrap().unwrap()).ok().unwrap(),
            "(4 5 6)"
        );
    }

    #[test]
    fn the_empty_queue_pops_to_itself() {
        let empty = empty_queue();
        assert!(pop(empty, as_queue(&empty)).ok().unwrap().identical(empty));
        assert!(peek(as_queue(&empty)).is_nil());
        assert!(seq(empty).ok().unwrap().is_none());
        let one = queue_of(&[1]);
        let none = pop(one, as_queue(&one)).ok().unwrap();
        assert_eq!(as_queue(&none).count, 0);
        assert!(seq(none).ok().unwrap().is_none());
    }
}
