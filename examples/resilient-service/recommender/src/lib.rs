//! The recommender: seed 001's web service, which every instance of the
//! resilient-service scenario runs.
//!
//! `GET /` answers a recommendation read from the DynamoDB table that the
//! SSM parameter [`settings::TABLE`] names, with the instance's id and zone
//! from the metadata service; when that fails it answers as
//! [`settings::FAILURE_RESPONSE`] says (`none`: 502, `static`: 200 with a
//! fixed suggestion). `GET /healthcheck` is `shallow` (always 200) or
//! `deep` (503 when the table cannot be read), as
//! [`settings::HEALTH_CHECK`] says. The parameters are read on every
//! request, so changing them changes the service at once; credentials come
//! from the instance role, so swapping the instance profile and restarting
//! the service makes it fail as the scenario shows.
//!
//! [`web`] is the HTTP side, written against the [`backend::Backend`]
//! trait; [`backend::Aws`] is the real one (SSM, DynamoDB, IMDSv2).

pub mod backend;
pub mod settings;
pub mod web;
