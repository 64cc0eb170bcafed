/**
 * Driving Swagger UI in a browser page (playwright-core): an operation's block, Try it out, the
 * Authorize dialog of the password flow, Logout.
 */
import type { Locator, Page, Request } from 'playwright-core'

/** The operation block of `method path`, e.g. ('get', '/users/me'). */
export function operation (page: Page, method: string, path: string): Locator {
  return page.locator(`.opblock.opblock-${method}`, { has: page.locator(`.opblock-summary-path[data-path="${path}"]`) })
}

/**
 * Opens an operation, presses "Try it out" once, then Execute; returns the status and body Swagger
 * UI shows, and the response headers as the browser received them.
 */
export async function execute (page: Page, method: string, path: string, serverUrl: string): Promise<{ status: string, body: string, headers: Record<string, string> }> {
  const op = operation(page, method, path)
  // The toggle reads "Try it out" until pressed, then "Cancel"; it appears once the block is open.
  const toggle = op.locator('.try-out__btn')
  if (!await toggle.isVisible()) await op.locator('.opblock-summary').first().click()
  await toggle.waitFor()
  if ((await toggle.innerText()).includes('Try it out')) await toggle.click()
  const executeButton = op.locator('.btn.execute')
  await executeButton.waitFor()
  const answered = page.waitForResponse((response) => response.url() === serverUrl + path && response.request().method() === method.toUpperCase())
  await executeButton.click()
  const response = await answered
  // Swagger UI renders the response it received: wait for its status cell to show it.
  const status = op.locator('.live-responses-table .response .response-col_status').first()
  await status.filter({ hasText: String(response.status()) }).waitFor()
  const details = op.locator('.live-responses-table .response .response-col_description').first()
  return {
    status: (await status.innerText()).trim(),
    body: await details.locator('.microlight, pre').first().innerText(),
    // Swagger UI re-formats header values; the network response has them as sent.
    headers: response.headers()
  }
}

/** Opens the Authorize dialog, logs in with the password flow, and returns the token request it sent. */
export async function authorize (page: Page, username: string, password: string): Promise<Request> {
  await page.locator('.auth-wrapper .btn.authorize').click()
  const modal = page.locator('.modal-ux')
  await modal.locator('#oauth_username').fill(username)
  await modal.locator('#oauth_password').fill(password)
  // Tick every scope, as a user trying the API does.
  await modal.locator('.scopes').getByText('select all').click()
  const tokenRequest = page.waitForRequest((request) => request.url().endsWith('/token') && request.method() === 'POST')
  await modal.getByRole('button', { name: 'Apply given OAuth2 credentials' }).click()
  const request = await tokenRequest
  // A refused login leaves the dialog as it was: the caller checks the answer.
  if ((await request.response())?.status() === 200) await modal.getByRole('button', { name: 'Remove authorization' }).waitFor()
  return request
}

export async function closeDialog (page: Page): Promise<void> {
  await page.locator('.modal-ux').getByRole('button', { name: 'Close' }).click()
  await page.locator('.modal-ux').waitFor({ state: 'detached' })
}

export async function logout (page: Page): Promise<void> {
  await page.locator('.auth-wrapper .btn.authorize').click()
  await page.locator('.modal-ux').getByRole('button', { name: 'Remove authorization' }).click()
  await page.locator('.modal-ux #oauth_username').waitFor()
  await closeDialog(page)
}
