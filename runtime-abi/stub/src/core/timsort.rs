//! The sort Clojure's `sort` runs: java.util.Arrays.sort of an object array
//! with a comparator, which is TimSort (a stable merge of natural runs,
//! short runs extended by binary insertion, merges that gallop once one
//! side keeps winning). Implemented here step for step, so a comparator is
//! called with the same pairs in the same order as on the JVM: a comparator
//! that is not consistent with itself (`>=`, which calls equal items
//! smaller) orders items as Clojure does, one that throws throws at the
//! same pair, and one TimSort catches contradicting itself throws Java's
//! IllegalArgumentException.

use crate::error::{illegal_argument, R};
use crate::object::Obj;

/// Shorter arrays are sorted by binary insertion alone.
const MIN_MERGE: usize = 32;
/// How many wins in a row switch a merge to galloping, at first.
const MIN_GALLOP: usize = 7;

type Comparator<'c> = &'c mut dyn FnMut(Obj, Obj) -> R<i32>;

/// Sorts `items` in place as java.util.Arrays.sort(items, comparator) does.
pub fn sort(items: &mut [Obj], compare: Comparator) -> R<()> {
    let n = items.len();
    if n < 2 {
        return Ok(());
    }
    if n < MIN_MERGE {
        let run = ascending_run(items, 0, n, compare)?;
        return binary_sort(items, 0, n, run, compare);
    }
    let mut sorter = TimSort {
        compare,
        min_gallop: MIN_GALLOP,
        runs: Vec::new(),
    };
    let min_run = min_run_length(n);
    let mut lo = 0;
    let mut remaining = n;
    while remaining != 0 {
        let mut run = ascending_run(items, lo, n, sorter.compare)?;
        if run < min_run {
            let forced = remaining.min(min_run);
            binary_sort(items, lo, lo + forced, lo + run, sorter.compare)?;
            run = forced;
        }
        sorter.runs.push((lo, run));
        sorter.merge_collapse(items)?;
        lo += run;
        remaining -= run;
    }
    sorter.merge_force_collapse(items)
}

/// The shortest run worth merging for `n` items: `n` halved while it is at
/// least MIN_MERGE, plus one if any bit shifted out was set.
fn min_run_length(mut n: usize) -> usize {
    let mut odd = 0;
    while n >= MIN_MERGE {
        odd |= n & 1;
        n >>= 1;
    }
    n + odd
}

/// The run starting at `lo`: ascending (each item not below the one before)
/// or strictly descending, which is reversed; its length.
fn ascending_run(items: &mut [Obj], lo: usize, hi: usize, compare: Comparator) -> R<usize> {
    let mut end = lo + 1;
    if end == hi {
        return Ok(1);
    }
    end += 1;
    if compare(items[lo + 1], items[lo])? < 0 {
        while end < hi && compare(items[end], items[end - 1])? < 0 {
            end += 1;
        }
        items[lo..end].reverse();
    } else {
        while end < hi && compare(items[end], items[end - 1])? >= 0 {
            end += 1;
        }
    }
    Ok(end - lo)
}

/// Inserts each of `items[start..hi]` into the sorted `items[lo..start]`,
/// after every item not greater than it.
fn binary_sort(
    items: &mut [Obj],
    lo: usize,
    hi: usize,
    start: usize,
    compare: Comparator,
) -> R<()> {
    for start in start.max(lo + 1)..hi {
        let pivot = items[start];
        let (mut left, mut right) = (lo, start);
        while left < right {
            let mid = (left + right) / 2;
            if compare(pivot, items[mid])? < 0 {
                right = mid;
            } else {
                left = mid + 1;
            }
        }
        items[left..=start].rotate_right(1);
    }
    Ok(())
}

/// Where `key` goes in the sorted `run` (searched from `hint`): before the
/// first item not less than it.
fn gallop_left(key: Obj, run: &[Obj], hint: usize, compare: Comparator) -> R<usize> {
    let (mut last, mut offset): (isize, isize) = (0, 1);
    let hint = hint as isize;
    let at = |i: isize| run[i as usize];
    if compare(key, at(hint))? > 0 {
        let max = run.len() as isize - hint;
        while offset < max && compare(key, at(hint + offset))? > 0 {
            last = offset;
            offset = (offset << 1) + 1;
        }
        offset = offset.min(max);
        last += hint;
        offset += hint;
    } else {
        let max = hint + 1;
        while offset < max && compare(key, at(hint - offset))? <= 0 {
            last = offset;
            offset = (offset << 1) + 1;
        }
        offset = offset.min(max);
        (last, offset) = (hint - offset, hint - last);
    }
    last += 1;
    while last < offset {
        let mid = last + ((offset - last) >> 1);
        if compare(key, at(mid))? > 0 {
            last = mid + 1;
        } else {
            offset = mid;
        }
    }
    Ok(offset as usize)
}

/// Where `key` goes in the sorted `run` (searched from `hint`): after the
/// last item not greater than it.
fn gallop_right(key: Obj, run: &[Obj], hint: usize, compare: Comparator) -> R<usize> {
    let (mut last, mut offset): (isize, isize) = (0, 1);
    let hint = hint as isize;
    let at = |i: isize| run[i as usize];
    if compare(key, at(hint))? < 0 {
        let max = hint + 1;
        while offset < max && compare(key, at(hint - offset))? < 0 {
            last = offset;
            offset = (offset << 1) + 1;
        }
        offset = offset.min(max);
        (last, offset) = (hint - offset, hint - last);
    } else {
        let max = run.len() as isize - hint;
        while offset < max && compare(key, at(hint + offset))? >= 0 {
            last = offset;
            offset = (offset << 1) + 1;
        }
        offset = offset.min(max);
        last += hint;
        offset += hint;
    }
    last += 1;
    while last < offset {
        let mid = last + ((offset - last) >> 1);
        if compare(key, at(mid))? < 0 {
            offset = mid;
        } else {
            last = mid + 1;
        }
    }
    Ok(offset as usize)
}

/// What TimSort throws when a merge finds the comparator contradicting
/// itself.
fn contract_violated() -> crate::error::Thrown {
    illegal_argument("Comparison method violates its general contract!")
}

struct TimSort<'c> {
    compare: Comparator<'c>,
    min_gallop: usize,
    /// Pending runs, as (start, length), oldest first.
    runs: Vec<(usize, usize)>,
}

impl TimSort<'_> {
    /// Merges pending runs until each is longer than the next two together
    /// and than the next one.
    fn merge_collapse(&mut self, items: &mut [Obj]) -> R<()> {
        while self.runs.len() > 1 {
            let len = |i: usize, runs: &[(usize, usize)]| runs[i].1;
            let mut n = self.runs.len() - 2;
            if (n > 0 && len(n - 1, &self.runs) <= len(n, &self.runs) + len(n + 1, &self.runs))
                || (n > 1 && len(n - 2, &self.runs) <= len(n, &self.runs) + len(n - 1, &self.runs))
            {
                if len(n - 1, &self.runs) < len(n + 1, &self.runs) {
                    n -= 1;
                }
            } else if len(n, &self.runs) > len(n + 1, &self.runs) {
                break;
            }
            self.merge_at(items, n)?;
        }
        Ok(())
    }

    fn merge_force_collapse(&mut self, items: &mut [Obj]) -> R<()> {
        while self.runs.len() > 1 {
            let mut n = self.runs.len() - 2;
            if n > 0 && self.runs[n - 1].1 < self.runs[n + 1].1 {
                n -= 1;
            }
            self.merge_at(items, n)?;
        }
        Ok(())
    }

    /// Merges pending runs `i` and `i + 1`.
    fn merge_at(&mut self, items: &mut [Obj], i: usize) -> R<()> {
        let (base1, len1) = self.runs[i];
        let (base2, len2) = self.runs[i + 1];
        self.runs[i] = (base1, len1 + len2);
        self.runs.remove(i + 1);
        // What of run 1 is already below all of run 2, and what of run 2
        // already above all of run 1, stays where it is.
        let skipped = gallop_right(items[base2], &items[base1..base1 + len1], 0, self.compare)?;
        let (base1, len1) = (base1 + skipped, len1 - skipped);
        if len1 == 0 {
            return Ok(());
        }
        let len2 = gallop_left(
            items[base1 + len1 - 1],
            &items[base2..base2 + len2],
            len2 - 1,
            self.compare,
        )?;
        if len2 == 0 {
            return Ok(());
        }
        if len1 <= len2 {
            self.merge_low(items, base1, len1, base2, len2)
        } else {
            self.merge_high(items, base1, len1, base2, len2)
        }
    }

    /// Merges from the left, run 1 (the shorter) copied aside.
    fn merge_low(
        &mut self,
        items: &mut [Obj],
        base1: usize,
        mut len1: usize,
        base2: usize,
        mut len2: usize,
    ) -> R<()> {
        let aside: Vec<Obj> = items[base1..base1 + len1].to_vec();
        let (mut cursor1, mut cursor2, mut dest) = (0, base2, base1);
        items[dest] = items[cursor2];
        dest += 1;
        cursor2 += 1;
        len2 -= 1;
        if len2 == 0 {
            items[dest..dest + len1].copy_from_slice(&aside[cursor1..cursor1 + len1]);
            return Ok(());
        }
        if len1 == 1 {
            items.copy_within(cursor2..cursor2 + len2, dest);
            items[dest + len2] = aside[cursor1];
            return Ok(());
        }
        let mut min_gallop = self.min_gallop;
        'outer: loop {
            let (mut count1, mut count2) = (0, 0);
            loop {
                if (self.compare)(items[cursor2], aside[cursor1])? < 0 {
                    items[dest] = items[cursor2];
                    dest += 1;
                    cursor2 += 1;
                    count2 += 1;
                    count1 = 0;
                    len2 -= 1;
                    if len2 == 0 {
                        break 'outer;
                    }
                } else {
                    items[dest] = aside[cursor1];
                    dest += 1;
                    cursor1 += 1;
                    count1 += 1;
                    count2 = 0;
                    len1 -= 1;
                    if len1 == 1 {
                        break 'outer;
                    }
                }
                if (count1 | count2) >= min_gallop {
                    break;
                }
            }
            loop {
                count1 = gallop_right(
                    items[cursor2],
                    &aside[cursor1..cursor1 + len1],
                    0,
                    self.compare,
                )?;
                if count1 != 0 {
                    items[dest..dest + count1].copy_from_slice(&aside[cursor1..cursor1 + count1]);
                    dest += count1;
                    cursor1 += count1;
                    len1 -= count1;
                    if len1 <= 1 {
                        break 'outer;
                    }
                }
                items[dest] = items[cursor2];
                dest += 1;
                cursor2 += 1;
                len2 -= 1;
                if len2 == 0 {
                    break 'outer;
                }
                count2 = gallop_left(
                    aside[cursor1],
                    &items[cursor2..cursor2 + len2],
                    0,
                    self.compare,
                )?;
                if count2 != 0 {
                    items.copy_within(cursor2..cursor2 + count2, dest);
                    dest += count2;
                    cursor2 += count2;
                    len2 -= count2;
                    if len2 == 0 {
                        break 'outer;
                    }
                }
                items[dest] = aside[cursor1];
                dest += 1;
                cursor1 += 1;
                len1 -= 1;
                if len1 == 1 {
                    break 'outer;
                }
                min_gallop = min_gallop.saturating_sub(1);
                if count1 < MIN_GALLOP && count2 < MIN_GALLOP {
                    break;
                }
            }
            min_gallop += 2;
        }
        self.min_gallop = min_gallop.max(1);
        match len1 {
            1 => {
                items.copy_within(cursor2..cursor2 + len2, dest);
                items[dest + len2] = aside[cursor1];
            }
            0 => return Err(contract_violated()),
            _ => items[dest..dest + len1].copy_from_slice(&aside[cursor1..cursor1 + len1]),
        }
        Ok(())
    }

    /// Merges from the right, run 2 (the shorter) copied aside.
    fn merge_high(
        &mut self,
        items: &mut [Obj],
        base1: usize,
        mut len1: usize,
        base2: usize,
        mut len2: usize,
    ) -> R<()> {
        let aside: Vec<Obj> = items[base2..base2 + len2].to_vec();
        // Cursors may step one below their run's start: signed.
        let mut cursor1 = (base1 + len1) as isize - 1;
        let mut cursor2 = len2 as isize - 1;
        let mut dest = (base2 + len2) as isize - 1;
        let at = |i: isize| i as usize;
        items[at(dest)] = items[at(cursor1)];
        dest -= 1;
        cursor1 -= 1;
        len1 -= 1;
        if len1 == 0 {
            let start = at(dest - (len2 as isize - 1));
            items[start..start + len2].copy_from_slice(&aside[..len2]);
            return Ok(());
        }
        if len2 == 1 {
            dest -= len1 as isize;
            cursor1 -= len1 as isize;
            items.copy_within(at(cursor1 + 1)..at(cursor1 + 1) + len1, at(dest + 1));
            items[at(dest)] = aside[at(cursor2)];
            return Ok(());
        }
        let mut min_gallop = self.min_gallop;
        'outer: loop {
            let (mut count1, mut count2) = (0, 0);
            loop {
                if (self.compare)(aside[at(cursor2)], items[at(cursor1)])? < 0 {
                    items[at(dest)] = items[at(cursor1)];
                    dest -= 1;
                    cursor1 -= 1;
                    count1 += 1;
                    count2 = 0;
                    len1 -= 1;
                    if len1 == 0 {
                        break 'outer;
                    }
                } else {
                    items[at(dest)] = aside[at(cursor2)];
                    dest -= 1;
                    cursor2 -= 1;
                    count2 += 1;
                    count1 = 0;
                    len2 -= 1;
                    if len2 == 1 {
                        break 'outer;
                    }
                }
                if (count1 | count2) >= min_gallop {
                    break;
                }
            }
            loop {
                count1 = len1
                    - gallop_right(
                        aside[at(cursor2)],
                        &items[base1..base1 + len1],
                        len1 - 1,
                        self.compare,
                    )?;
                if count1 != 0 {
                    dest -= count1 as isize;
                    cursor1 -= count1 as isize;
                    len1 -= count1;
                    items.copy_within(at(cursor1 + 1)..at(cursor1 + 1) + count1, at(dest + 1));
                    if len1 == 0 {
                        break 'outer;
                    }
                }
                items[at(dest)] = aside[at(cursor2)];
                dest -= 1;
                cursor2 -= 1;
                len2 -= 1;
                if len2 == 1 {
                    break 'outer;
                }
                count2 =
                    len2 - gallop_left(items[at(cursor1)], &aside[..len2], len2 - 1, self.compare)?;
                if count2 != 0 {
                    dest -= count2 as isize;
                    cursor2 -= count2 as isize;
                    len2 -= count2;
                    let from = at(cursor2 + 1);
                    let to = at(dest + 1);
                    items[to..to + count2].copy_from_slice(&aside[from..from + count2]);
                    if len2 <= 1 {
                        break 'outer;
                    }
                }
                items[at(dest)] = items[at(cursor1)];
                dest -= 1;
                cursor1 -= 1;
                len1 -= 1;
                if len1 == 0 {
                    break 'outer;
                }
                min_gallop = min_gallop.saturating_sub(1);
                if count1 < MIN_GALLOP && count2 < MIN_GALLOP {
                    break;
                }
            }
            min_gallop += 2;
        }
        self.min_gallop = min_gallop.max(1);
        match len2 {
            1 => {
                dest -= len1 as isize;
                cursor1 -= len1 as isize;
                items.copy_within(at(cursor1 + 1)..at(cursor1 + 1) + len1, at(dest + 1));
                items[at(dest)] = aside[at(cursor2)];
            }
            0 => return Err(contract_violated()),
            _ => {
                let start = at(dest - (len2 as isize - 1));
                items[start..start + len2].copy_from_slice(&aside[..len2]);
            }
        }
        Ok(())
    }
}
