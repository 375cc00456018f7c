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
  const heading = panel.querySelector('h2')
  if (heading) {
    heading.setAttribute('tabindex', '-1')
    heading.focus()
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
