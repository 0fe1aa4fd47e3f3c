//! Progress bars per entity (rows done, rate, ETA), drawn on stderr only when asked.

use std::collections::HashMap;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::model::Entity;

pub struct Progress {
    bars: HashMap<Entity, ProgressBar>,
    _multi: MultiProgress,
}

impl Progress {
    /// One bar per entity with its record count; hidden unless `enabled`.
    pub fn new(enabled: bool, totals: &[(Entity, u64)]) -> Progress {
        let multi = MultiProgress::with_draw_target(if enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let style =
            ProgressStyle::with_template("{prefix:>14} [{bar:30}] {pos}/{len} {rate:>8} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .with_key(
                    "rate",
                    |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.1}/s", state.per_sec());
                    },
                )
                .progress_chars("=> ");
        let bars = totals
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(entity, n)| {
                let bar = multi.add(ProgressBar::new(*n));
                bar.set_style(style.clone());
                bar.set_prefix(entity.name());
                (*entity, bar)
            })
            .collect();
        Progress {
            bars,
            _multi: multi,
        }
    }

    pub fn inc(&self, entity: Entity) {
        if let Some(bar) = self.bars.get(&entity) {
            bar.inc(1);
        }
    }

    pub fn finish(&self) {
        for bar in self.bars.values() {
            bar.finish();
        }
    }
}
