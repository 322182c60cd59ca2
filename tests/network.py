"""The small network every scenario test runs in, and the people in its workspace."""

from bot.directory.network import parse_network

ADVISER = "UADVISER1"
ADVISER2 = "UADVISER2"
CV_STAFF = "UCVSTAFF1"
CV_STAFF2 = "UCVSTAFF2"
ESOL_STAFF = "UESOLSTF1"
YOUTH_STAFF = "UYOUTHST1"
COUNCIL_STAFF = "UCOUNCIL1"
COORDINATOR = "UCOORDNR1"
OUTSIDER = "UOUTSIDE1"

CV_CHANNEL = "C0CVCLINIC"
ESOL_CHANNEL = "C0ESOLHUB1"
YOUTH_CHANNEL = "C0YOUTHFUT"
COUNCIL_CHANNEL = "C0COUNCIL1"
COORD_CHANNEL = "C0COORD001"
GENERAL = "C0GENERAL1"

NETWORK_YAML = f"""
network:
  name: Test Network
  timezone: Europe/London
  working_hours: "Mon-Fri 09:00-17:00"
services:
  cv: CV and job applications
  interview: Interview practice
  esol: English language (ESOL)
  youth: Youth employment
  self_employment: Self-employment
providers:
  - id: cv-clinic
    name: Northside CV Clinic
    channel: {CV_CHANNEL}
    services: [cv, interview]
    areas: [NW1, NW5]
    weekly_summary: true
  - id: esol-hub
    name: Riverside ESOL Hub
    channel: {ESOL_CHANNEL}
    services: [esol]
    ages: 18+
    reminders:
      accept_within: 2h
  - id: youth-futures
    name: Youth Futures
    channel: {YOUTH_CHANNEL}
    services: [youth, cv]
    ages: 16-24
  - id: town-hall
    name: Council Employment Team
    channel: {COUNCIL_CHANNEL}
    services: [cv]
    areas: [NW]
coordinators:
  channel: {COORD_CHANNEL}
  users: [{COORDINATOR}]
reminders:
  contact_within: 2d
"""


def test_network():
    return parse_network(NETWORK_YAML, source="test network")


def seed_workspace(fake) -> None:
    people = {
        ADVISER: "Ada Adviser",
        ADVISER2: "Abe Adviser",
        CV_STAFF: "Cleo Clinic",
        CV_STAFF2: "Cal Clinic",
        ESOL_STAFF: "Esme ESOL",
        YOUTH_STAFF: "Yusuf Youth",
        COUNCIL_STAFF: "Connie Council",
        COORDINATOR: "Cora Coordinator",
        OUTSIDER: "Otto Outsider",
    }
    for user_id, real_name in people.items():
        fake.add_user(user_id, name=real_name.split()[0].lower(), real_name=real_name)
    fake.add_channel(CV_CHANNEL, name="handovers-cv-clinic", members=[CV_STAFF, CV_STAFF2])
    fake.add_channel(ESOL_CHANNEL, name="handovers-esol", members=[ESOL_STAFF])
    fake.add_channel(YOUTH_CHANNEL, name="handovers-youth", members=[YOUTH_STAFF])
    fake.add_channel(COUNCIL_CHANNEL, name="handovers-council", members=[COUNCIL_STAFF])
    fake.add_channel(COORD_CHANNEL, name="coordinators", members=[COORDINATOR])
    fake.add_channel(GENERAL, name="general", members=list(people))
