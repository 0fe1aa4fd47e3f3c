//! Progress bars per entity (rows done, rate, ETA), drawn on stderr only when asked.

use std::collections::HashMap;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget};

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
        let style = crate::progress::bar("records");
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
            // A stage's clock starts at its first record, not when the bars were drawn: the
            // rate and ETA of the timesheets do not count the time spent on the workers.
            if bar.position() == 0 {
                bar.reset_elapsed();
            }
            bar.inc(1);
        }
    }

    pub fn finish(&self) {
        for bar in self.bars.values() {
            bar.finish();
        }
    }
}
