//! How a matrix run that stops as a whole ends, the same for the Debian
//! matrix (`cmd_matrix`) and `--image` (`matrix_image`).

use mapspec_kernel_matrix::MatrixError;

use crate::{exit, signals};

/// What a whole run's error (not one kernel's) says and exits with: an
/// interrupted run is 128+signal (`cleaned` says what was undone), an
/// environment problem 2, anything else 1.
pub(crate) fn run_error(e: MatrixError, cleaned: &str) -> u8 {
    match e {
        MatrixError::Interrupted { signal } => {
            eprintln!(
                "mapspec matrix: interrupted by {}: {cleaned}",
                signals::name(signal)
            );
            signals::exit_code(signal)
        }
        e => {
            eprintln!("mapspec matrix: {e}");
            if e.is_environment() {
                exit::ENV
            } else {
                exit::FAILED
            }
        }
    }
}
