/// The capture link types the `decode` target picks from with its first
/// input byte (shared with the seed builder): Ethernet, Linux SLL, SLL2,
/// raw IP in its five spellings, BSD null, OpenBSD loop, and one link type
/// camsentry does not decode (802.11).
pub const DLTS: [i32; 11] = [1, 113, 276, 12, 14, 101, 228, 229, 0, 108, 105];
