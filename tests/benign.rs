//! Benign camera-site traffic that must raise no alert at all, one test per
//! case, under the site policy and under zero configuration (default
//! learning). A false alarm costs an analyst's time; these are the cases a
//! real site produces every day.

mod common;

fn assert_silent(scenario: &str) {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::synth(dir.path(), scenario);
    let policy = common::fixture("policy/site.toml");
    for args in [vec!["--policy", policy.to_str().unwrap()], vec![]] {
        let alerts = common::alerts(&capture, &args);
        assert!(alerts.is_empty(), "{scenario} {args:?}: {alerts:#?}");
    }
}

#[test]
fn recorder_onvif_discovery_and_polling_of_every_camera() {
    assert_silent("benign-onvif-poll");
}

#[test]
fn camera_firmware_download() {
    assert_silent("benign-firmware");
}

#[test]
fn continuous_video_to_the_recorder() {
    assert_silent("benign-video");
}

#[test]
fn workstation_contacting_many_hosts() {
    assert_silent("benign-workstation");
}

#[test]
fn new_camera_joining() {
    assert_silent("benign-new-camera");
}

#[test]
fn the_healthy_sample_site() {
    assert_silent("camera-network");
}

#[test]
fn camera_rebooting() {
    assert_silent("benign-reboot");
}

#[test]
fn cameras_refreshing_arp_for_gateway_and_recorder() {
    assert_silent("benign-arp-refresh");
}

/// Two hours of a whole site (continuous and motion-triggered cameras,
/// recording already running at capture start, cloud, NTP, DHCP renewals,
/// a reboot, a firmware download, a new camera, an admin's browsing, clients
/// behind a router) with one hour of zero-configuration learning: silent.
#[test]
fn a_two_hour_site_day() {
    assert_silent("site-day-short");
}
