"""Watches a deploy in the deploy console through a real browser: headless Debian
Chromium driven over WebDriver (chromedriver) by Selenium.

    console_watch.py CONSOLE_URL GROUP TARGET NODES SCREENSHOT

Opens CONSOLE_URL, prints "ready" once the page shows compute group GROUP, then watches
the group's deployments until the newest one for TARGET (as the page writes it, e.g.
"starter B") is SUCCEEDED with NODES node steps all SUCCEEDED. Saves a screenshot to
SCREENSHOT and prints one JSON line: the statuses seen in order and each node step's
status. Exits 1 if that does not happen within 90 s.
"""

import json
import sys

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

url, group, target, nodes, screenshot = sys.argv[1:6]
nodes = int(nodes)

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1280,1800"]:
    options.add_argument(arg)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
seen = []
steps = []


def newest(d):
    """The newest execution of the group for the target, or None."""
    for e in d.find_elements(By.CSS_SELECTOR, f'section[data-group="{group}"] .execution'):
        if target in e.text:
            return e
    return None


def done(d):
    """Records each new status of the target's execution; true once it has succeeded."""
    global steps
    try:
        e = newest(d)
        if e is None:
            return False
        status = e.get_attribute("data-status")
        if not seen or seen[-1] != status:
            seen.append(status)
        steps = [r.get_attribute("data-node-status")
                 for r in e.find_elements(By.CSS_SELECTOR, "tr[data-node-status]")]
        return status == "SUCCEEDED" and len(steps) == nodes and all(s == "SUCCEEDED" for s in steps)
    except StaleElementReferenceException:
        # The page re-rendered between reads: look again.
        return False


try:
    driver.get(url)
    WebDriverWait(driver, 30, poll_frequency=0.05).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f'section[data-group="{group}"]'))
    print("ready", flush=True)
    ok = True
    try:
        WebDriverWait(driver, 90, poll_frequency=0.05).until(done)
    except TimeoutException:
        ok = False
    driver.save_screenshot(screenshot)
    print(json.dumps({"seen": seen, "steps": steps}), flush=True)
    sys.exit(0 if ok else 1)
finally:
    driver.quit()
