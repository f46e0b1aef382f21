//! Reserved concurrency: how many invocations of a function may run at
//! once, set aside from the account's pool (PutFunctionConcurrency).
//!
//! The account has [`ACCOUNT_CONCURRENCY`] and must keep
//! [`MIN_UNRESERVED`] of it for the functions that reserve none, so the
//! reservations of all functions together may not pass the difference.
//! A function whose reservation is all in use is throttled: a synchronous
//! Invoke answers 429, an asynchronous one waits in the queue.

use super::Error;

/// The account's concurrency (Lambda's default quota).
pub const ACCOUNT_CONCURRENCY: i32 = 1000;

/// What reservations must leave to the functions that reserve nothing.
pub const MIN_UNRESERVED: i32 = 100;

/// Checks a reservation of `requested` for one function, given what every
/// other function reserves.
pub fn check_reservation(
    requested: i32,
    others: impl IntoIterator<Item = i32>,
) -> Result<(), Error> {
    let others: i64 = others.into_iter().map(i64::from).sum();
    let unreserved = i64::from(ACCOUNT_CONCURRENCY) - others - i64::from(requested);
    if unreserved < i64::from(MIN_UNRESERVED) {
        return Err(Error::InvalidParameter(format!(
            "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}]."
        )));
    }
    Ok(())
}

/// What the account keeps for functions without a reservation, given the
/// reservations of all functions (GetAccountSettings'
/// `UnreservedConcurrentExecutions`).
pub fn unreserved(reservations: impl IntoIterator<Item = i32>) -> i32 {
    let reserved: i64 = reservations.into_iter().map(i64::from).sum();
    i32::try_from(i64::from(ACCOUNT_CONCURRENCY) - reserved).unwrap_or(MIN_UNRESERVED)
}

/// Whether one more invocation may start while `running` of the function's
/// are in flight.
pub fn admits(reserved: Option<i32>, running: u32) -> bool {
    reserved.is_none_or(|limit| i64::from(running) < i64::from(limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_leave_the_unreserved_minimum() {
        assert_eq!(check_reservation(900, []), Ok(()));
        assert!(
            matches!(check_reservation(901, []), Err(Error::InvalidParameter(m)) if m.contains("[100]"))
        );
        assert_eq!(check_reservation(0, [900]), Ok(()));
        assert_eq!(check_reservation(400, [300, 200]), Ok(()));
        assert!(check_reservation(401, [300, 200]).is_err());
    }

    #[test]
    fn the_unreserved_pool_is_what_reservations_leave() {
        assert_eq!(unreserved([]), 1000);
        assert_eq!(unreserved([0, 250, 650]), 100);
    }

    #[test]
    fn a_reservation_admits_that_many_at_once() {
        assert!(admits(None, 10_000));
        assert!(!admits(Some(0), 0));
        assert!(admits(Some(2), 1));
        assert!(!admits(Some(2), 2));
    }
}
