//! What the plugin does when the router fails it: the fault matrix of network and service
//! failures ([`matrix`]), and the answers of a hostile service ([`hostile_answers`]).

mod hostile_answers;
mod matrix;
