//! The board shared by the threads that change it: the recorder's, the live
//! transcriber's, the level monitor's and the commands'.

use std::sync::{Mutex, PoisonError};

use super::board::{Board, BoardUpdate, Level};

/// Sends one update to the page.
pub type UpdateSender = Box<dyn Fn(BoardUpdate) + Send + Sync>;

pub struct Hub {
    board: Mutex<Board>,
    send: UpdateSender,
}

impl Hub {
    pub fn new(board: Board, send: UpdateSender) -> Self {
        Self { board: Mutex::new(board), send }
    }

    /// Applies `change` and sends its update. The update leaves while the board is still
    /// locked, so the page receives updates in the order they were made.
    pub fn update(&self, change: impl FnOnce(&mut Board) -> BoardUpdate) {
        let mut board = self.board.lock().unwrap_or_else(PoisonError::into_inner);
        let update = change(&mut board);
        if !matches!(update, BoardUpdate::None) {
            (self.send)(update);
        }
    }

    /// Sends a level reading of the monitor, which changes nothing on the board.
    pub fn send_level(&self, level: Level) {
        self.update(|_| BoardUpdate::Level(level));
    }

    pub fn read<T>(&self, look: impl FnOnce(&Board) -> T) -> T {
        look(&self.board.lock().unwrap_or_else(PoisonError::into_inner))
    }
}
