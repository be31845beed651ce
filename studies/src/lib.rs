//! The pimforge studies: the digits MLP trained in memory on the golden model or the RTL in
//! lock-step ([`train`]), the refinement controller's convergence ([`refine`]), K-FAC with
//! refined solves ([`train::kfac`]), Tiki-Taka on the golden model's functional layers
//! ([`tiki`]), the Tiki-Taka offset study on the tiles ([`offsets`]), SBPCA's study
//! ([`sbpca_study`]), training under stuck cells and device spread ([`faults`]), models deployed
//! onto other chips ([`deploy_study`]), and the plots of their reports ([`plot`]).

pub mod cost;
pub mod deploy_study;
pub mod faults;
pub mod kfac_study;
pub mod offsets;
pub mod plot;
pub mod pool;
pub mod refine;
pub mod sbpca_study;
pub mod solve;
pub mod sweep;
pub mod tiki;
pub mod train;
