// Starts the NHS.UK frontend components (header menu, error summary focus, ...).
import { initAll } from '../vendor/nhsuk-frontend/nhsuk-frontend.min.js'

initAll()

// Drag and drop for the case list. The Move up / Move down buttons do the same job by
// keyboard and without JavaScript; this is a shortcut for mouse users.
function csrfToken () {
  try {
    return JSON.parse(document.body.getAttribute('hx-headers:inherited'))['X-CSRFToken']
  } catch (e) {
    return ''
  }
}

function enableReorder (list) {
  let dragged = null
  list.addEventListener('dragstart', (event) => {
    dragged = event.target.closest('li[data-case-id]')
    if (dragged) dragged.classList.add('app-dragging')
  })
  list.addEventListener('dragover', (event) => {
    const over = event.target.closest('li[data-case-id]')
    if (!dragged || !over || over === dragged) return
    event.preventDefault()
    const after = event.clientY > over.getBoundingClientRect().top + over.offsetHeight / 2
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over)
  })
  list.addEventListener('dragend', async () => {
    if (!dragged) return
    dragged.classList.remove('app-dragging')
    dragged = null
    const body = new URLSearchParams()
    list.querySelectorAll('li[data-case-id]').forEach((li) => body.append('case_ids', li.dataset.caseId))
    const response = await fetch(list.dataset.reorderUrl, {
      method: 'POST',
      headers: { 'X-CSRFToken': csrfToken(), 'HX-Request': 'true' },
      body
    })
    const container = document.getElementById('case-list')
    if (response.ok && container) {
      container.outerHTML = await response.text()
      const fresh = document.getElementById('case-list')
      if (window.htmx && fresh) window.htmx.process(fresh)
      setup()
    } else {
      window.location.reload()
    }
  })
}

function setup () {
  document.querySelectorAll('ol.app-case-list[data-reorder-url]').forEach((list) => {
    if (list.dataset.reorderUrl && !list.dataset.reorderReady) {
      list.dataset.reorderReady = 'true'
      enableReorder(list)
    }
  })
}

setup()

// After htmx swaps in a new case in live mode, move focus to its heading, so keyboard and
// screen reader users land on the new content (not on a button that no longer exists).
document.addEventListener('htmx:after:settle', (event) => {
  const panel = document.getElementById('live-case')
  if (!panel || !(event.target === panel || panel.contains(event.target))) return
  // A draft kept in the background must never take the focus from the box being typed in.
  if (event.target.closest && event.target.closest('.app-draft-status')) return
  const heading = panel.querySelector('h2')
  if (heading) {
    heading.setAttribute('tabindex', '-1')
    heading.focus()
  }
})

// Live mode: Ctrl + Enter (Cmd + Enter on a Mac) in the case form saves and goes to the
// next case, so the chair can keep her hands on the keyboard.
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey)) return
  const form = event.target.closest && event.target.closest('form.app-case-record')
  const button = form && form.querySelector('[data-save-next]')
  if (!button) return
  event.preventDefault()
  button.click()
})

// A draft or a save that could not reach the server: the text stays in the form and the
// chair is told; the draft is kept again as soon as the connection returns.
document.addEventListener('htmx:error', (event) => {
  const source = event.target
  const form = source && source.closest && source.closest('form.app-case-record')
  if (!form) return
  const status = form.querySelector('.app-draft-status')
  if (status) {
    status.textContent = 'Not kept: the connection was lost. Your text is still here and ' +
      'will be kept when the connection returns.'
  }
})

// A progress indicator for slow submissions (the caseload import): a form marked
// data-progress shows its status element (hidden until then) when it is sent.
document.querySelectorAll('form[data-progress]').forEach((form) => {
  form.addEventListener('submit', () => {
    const status = document.getElementById(form.dataset.progress)
    if (status) status.hidden = false
  })
})
