//! Membership and failure detection: SWIM (with suspicion and infection-style dissemination)
//! from the foca crate, behind [`Membership`], a trait of our own, so that it can be swapped
//! or driven by hand in a test.
//!
//! foca is sans-IO: it is handed bytes and timer events and says what to send, when to wake
//! it, and which members came up or went down. Its packets travel over the nodes' own
//! authenticated connections (`Frame::Gossip`), so membership needs no port of its own and
//! no second authentication. A packet for a member this node has no connection to is
//! dropped (SWIM tolerates loss) and the member is dialled: members learn of each other
//! through gossip and connect, as Erlang nodes connect to the nodes their peers know.
//!
//! What the detector decides is final for the connection: a member declared down has its
//! connection closed (`DownReason::Unreachable`), and every link and monitor to its processes
//! fires with `noconnection`. The connection's own silence timeout stays as a backstop, at
//! twice the detection time.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use bytes::Bytes;
use foca::{AccumulatingRuntime, Foca, NoCustomBroadcast, OwnedNotification, PostcardCodec};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

/// A member as the membership protocol knows it: a node's name, its incarnation, where it
/// can be dialled, and when it started (a node started again wins over its earlier self).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct Member {
    pub(crate) name: String,
    pub(crate) creation: u32,
    pub(crate) listen: Option<SocketAddr>,
    pub(crate) started: u64,
}

impl foca::Identity for Member {
    type Addr = String;

    fn renew(&self) -> Option<Self> {
        // A node wrongly declared down comes back as itself, a little later, so that it
        // wins over the record of its "death".
        Some(Member { started: self.started + 1, ..self.clone() })
    }

    fn addr(&self) -> String {
        self.name.clone()
    }

    fn win_addr_conflict(&self, adversary: &Self) -> bool {
        self.started > adversary.started
    }
}

/// What a membership protocol asks the node to do after each step.
#[derive(Debug)]
pub(crate) struct Effects<T> {
    /// Packets to send, to a member.
    pub(crate) send: Vec<(Member, Bytes)>,
    /// Timer events to hand back after a while.
    pub(crate) schedule: Vec<(Duration, T)>,
    /// Members that came up.
    pub(crate) up: Vec<Member>,
    /// Members declared down.
    pub(crate) down: Vec<Member>,
}

impl<T> Default for Effects<T> {
    fn default() -> Self {
        Effects { send: Vec::new(), schedule: Vec::new(), up: Vec::new(), down: Vec::new() }
    }
}

/// A membership protocol and failure detector, driven by the node.
pub(crate) trait Membership: Send + 'static {
    /// A timer event it asked for.
    type Timer: Send + 'static;
    /// A connection to a node came up: join it (or tell it of us).
    fn join(&mut self, peer: Member) -> Effects<Self::Timer>;
    /// A packet from a member.
    fn receive(&mut self, packet: &[u8]) -> Result<Effects<Self::Timer>, String>;
    /// A timer it asked for is due.
    fn timer(&mut self, timer: Self::Timer) -> Effects<Self::Timer>;
}

/// SWIM, from foca.
pub(crate) struct Swim {
    foca: Foca<Member, PostcardCodec, StdRng, NoCustomBroadcast>,
    runtime: AccumulatingRuntime<Member>,
}

impl Swim {
    /// SWIM for the member `me`: a probe every `tick` (answered within half of it, or probed
    /// through others), and a member suspected for the rest of `detection` before it is
    /// declared down.
    pub(crate) fn new(me: Member, tick: Duration, detection: Duration, max_packet: usize) -> Self {
        let mut config = foca::Config::new_lan(NonZeroU32::new(16).expect("not zero"));
        config.probe_period = tick;
        config.probe_rtt = tick / 2;
        config.suspect_to_down_after = detection.saturating_sub(tick + tick / 2).max(tick / 2);
        config.max_packet_size = std::num::NonZeroUsize::new(max_packet).expect("not zero");
        config.periodic_gossip =
            Some(foca::PeriodicParams { frequency: tick, num_members: config.num_indirect_probes });
        let seed = {
            use std::hash::{BuildHasher, Hasher};
            std::collections::hash_map::RandomState::new().build_hasher().finish()
        };
        let foca = Foca::new(me, config, StdRng::seed_from_u64(seed), PostcardCodec);
        Swim { foca, runtime: AccumulatingRuntime::new() }
    }

    fn drain(&mut self) -> Effects<foca::Timer<Member>> {
        let mut effects = Effects::default();
        while let Some(packet) = self.runtime.to_send() {
            effects.send.push(packet);
        }
        while let Some(timer) = self.runtime.to_schedule() {
            effects.schedule.push(timer);
        }
        while let Some(notification) = self.runtime.to_notify() {
            match notification {
                OwnedNotification::MemberUp(member) => effects.up.push(member),
                OwnedNotification::MemberDown(member) => effects.down.push(member),
                _ => {}
            }
        }
        effects
    }
}

impl Membership for Swim {
    type Timer = foca::Timer<Member>;

    fn join(&mut self, peer: Member) -> Effects<Self::Timer> {
        if let Err(e) = self.foca.announce(peer, &mut self.runtime) {
            tracing::debug!(error = %e, "membership: announce failed");
        }
        self.drain()
    }

    fn receive(&mut self, packet: &[u8]) -> Result<Effects<Self::Timer>, String> {
        let result = self.foca.handle_data(packet, &mut self.runtime);
        let effects = self.drain();
        result.map(|()| effects).map_err(|e| e.to_string())
    }

    fn timer(&mut self, timer: Self::Timer) -> Effects<Self::Timer> {
        if let Err(e) = self.foca.handle_timer(timer, &mut self.runtime) {
            tracing::debug!(error = %e, "membership: timer failed");
        }
        self.drain()
    }
}
